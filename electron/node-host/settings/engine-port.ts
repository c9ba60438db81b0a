// What the settings service needs from the engine. The real port drives the VM and the guest;
// unit tests use a fake. The port reads VM resources from SettingsService.get(): the service
// saves the new settings before it calls restartVm (and restores the old ones before a rollback).
import type { Settings } from '../api/settings-schema.ts';

export interface EnginePort {
  /** dockerd restart with the store toggle, user daemon.json keys and features (no VM restart). */
  applyEngineConfig(
    cfg: {
      useContainerdSnapshotter: boolean;
      dockerEngine: Record<string, unknown>;
      features?: Settings['features'];
      switching?: boolean;
    },
    onProgress: (msg: string) => void,
  ): Promise<void>;
  /** VM restart with new resources (a grown vm.diskGiB included). */
  restartVm(onProgress: (msg: string) => void): Promise<void>;
  /** Factory reset of the engine side: stop whatever runs, delete VM data (both stores). Must work when the VM is broken. */
  wipeEngineData(onProgress: (msg: string) => void): Promise<void>;
  /** True when the VM is running (apply only needs to restart things that run). */
  isRunning(): boolean;
}
