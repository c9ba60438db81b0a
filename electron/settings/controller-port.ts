// The EnginePort over the EngineController: VM restarts and the factory reset's stop + wipe. The
// store switch itself (daemon.json + dockerd restart in the guest) is injected by the host,
// which owns the guest agent.
import type { EngineController, EngineOptions } from '../../engine/host/engine-controller.ts';
import type { StartStage } from '../../engine/host/engine-types.ts';
import type { DataDir } from '../../engine/host/paths.ts';
import type { EnginePort } from './engine-port.ts';
import { wipeVmData } from './offline-reset.ts';
import type { Settings } from './schema.ts';

/**
 * Engine options whose VM resources follow the settings: EngineController reads them at each
 * boot, so a VM restart picks up what was just saved. Explicit options (tests) win.
 */
export function engineOptionsFromSettings(get: () => Settings, base: EngineOptions): EngineOptions {
  return {
    ...base,
    get cpus() { return base.cpus ?? get().vm.cpus; },
    get memoryMiB() { return base.memoryMiB ?? get().vm.memoryMiB; },
    get diskGiB() { return base.diskGiB ?? get().vm.diskGiB; },
    get accelerator() { return base.accelerator ?? get().accelerator; },
    get fileSharing() { return base.fileSharing ?? get().fileSharing; },
  };
}

export type EngineConfig = Parameters<EnginePort['applyEngineConfig']>[0];

export class ControllerEnginePort implements EnginePort {
  constructor(private readonly data: DataDir, private readonly engine: () => EngineController,
    private readonly applyConfig: (cfg: EngineConfig, onProgress: (msg: string) => void) => Promise<void>) {}

  isRunning(): boolean { return this.engine().status().state === 'running'; }

  applyEngineConfig(cfg: EngineConfig, onProgress: (msg: string) => void): Promise<void> {
    return this.applyConfig(cfg, onProgress);
  }

  async restartVm(onProgress: (msg: string) => void): Promise<void> {
    const engine = this.engine();
    const onStage = (s: StartStage): void => onProgress(`${s.stage}${s.detail ? `: ${s.detail}` : ''}`);
    engine.on('stage', onStage);
    try { await engine.restart(); } finally { engine.off('stage', onStage); }
  }

  async wipeEngineData(onProgress: (msg: string) => void): Promise<void> {
    onProgress('Stopping the engine.');
    await this.engine().stop().catch((e: Error) => onProgress(`Stopping failed (${e.message}); deleting the data anyway.`));
    wipeVmData(this.data, onProgress);
  }
}
