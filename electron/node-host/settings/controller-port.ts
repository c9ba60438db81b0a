// The EnginePort over the EngineController: the store switch and daemon.json through the guest
// agent, VM restarts, and the factory reset's stop + wipe. The settings service exists before the
// engine (the engine reads its settings at every boot), so the host connects the engine to this
// port explicitly once both exist; until then the engine counts as not running.
import type { EngineController } from '../../../engine/host/engine-controller.ts';
import type { EngineOptions } from '../../../engine/host/engine-options.ts';
import type { StartStage } from '../../../engine/host/engine-types.ts';
import type { DataDir } from '../../../engine/host/paths.ts';
import type { EnginePort } from './engine-port.ts';
import { wipeVmData } from './offline-reset.ts';
import type { Settings } from './schema.ts';
import { otherStore, storeOf } from '../../../engine/shared/image-store.ts';
import { diskFullAdvice, isDiskFull } from '../../../engine/host/disk-full.ts';
import { engineCallFailure } from '../../../engine/host/vm-loss.ts';
import { applyFeatures, featureDaemonKeys } from '../../../engine/host/features.ts';

/**
 * Engine options whose VM resources follow the settings: EngineController reads them at each
 * boot, so a VM restart picks up what was just saved. Explicit options (tests) win.
 */
export function engineOptionsFromSettings(get: () => Settings, base: EngineOptions): EngineOptions {
  return {
    ...base,
    get cpus() {
      return base.cpus ?? get().vm.cpus;
    },
    get memoryMiB() {
      return base.memoryMiB ?? get().vm.memoryMiB;
    },
    get diskGiB() {
      return base.diskGiB ?? get().vm.diskGiB;
    },
    get accelerator() {
      return base.accelerator ?? get().accelerator;
    },
    get fileSharing() {
      return base.fileSharing ?? get().fileSharing;
    },
  };
}

export type EngineConfig = Parameters<EnginePort['applyEngineConfig']>[0];

export class ControllerEnginePort implements EnginePort {
  private engine: EngineController | null = null;

  constructor(private readonly data: DataDir) {}

  /** The second step of the host's wiring: the engine, created after the settings service. */
  connect(engine: EngineController): void {
    this.engine = engine;
  }

  private connected(): EngineController {
    if (!this.engine) throw new Error('the engine is not connected to the settings yet');
    return this.engine;
  }

  isRunning(): boolean {
    return this.engine?.status().state === 'running';
  }

  async applyEngineConfig(cfg: EngineConfig, onProgress: (msg: string) => void): Promise<void> {
    const engine = this.connected();
    const store = storeOf(cfg);
    const daemonKeys = JSON.stringify(featureDaemonKeys(cfg.dockerEngine, cfg.features));
    try {
      // Written down: a host that dies during it leaves the next one the work to finish or check.
      await engine.journal.run({ kind: cfg.switching ? 'switch' : 'engine-config', store }, async () => {
        // The features' VM side first: dockerd restarts onto a snapshotter that answers.
        if (cfg.features)
          for (const note of await applyFeatures(engine.guest, cfg.features, cfg.dockerEngine)) onProgress(note);
        return engine.agent.setImageStore(store, daemonKeys);
      });
      engine.noteEngineConfig(store, daemonKeys);
    } catch (e) {
      const err = await engineCallFailure(engine, e);
      if (!isDiskFull(err) || !this.isRunning()) throw err;
      // After a failed switch the engine is back on the store it ran: the other one is hidden.
      const hidden = cfg.switching ? store : otherStore(store);
      const fill = await engine.agent.diskUsage(true).then(
        (u) => ({ size: Number(u.disk_size_bytes), used: Number(u.disk_used_bytes), free: Number(u.disk_free_bytes) }),
        () => null,
      );
      throw diskFullAdvice(err, fill, hidden);
    }
  }

  async restartVm(onProgress: (msg: string) => void): Promise<void> {
    const engine = this.connected();
    const onStage = (s: StartStage): void => onProgress(`${s.stage}${s.detail ? `: ${s.detail}` : ''}`);
    engine.on('stage', onStage);
    try {
      await engine.restart();
    } finally {
      engine.off('stage', onStage);
    }
  }

  async wipeEngineData(onProgress: (msg: string) => void): Promise<void> {
    onProgress('Stopping the engine.');
    // Not connected: nothing of this host runs yet; the wipe must still work.
    await this.engine
      ?.stop()
      .catch((e: Error) => onProgress(`Stopping failed (${e.message}); deleting the data anyway.`));
    await wipeVmData(this.data, onProgress);
  }
}
