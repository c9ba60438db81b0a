// The dashboard's state and how each pushed event changes it: a pure function, so every update
// path is unit-tested without a browser.
import type { ApiEvent, SystemInfo } from '../../../electron/node-host/api/contract.ts';
import type { Container, ImageList, TransferProgress } from '../../../electron/node-host/api/docker-types.ts';
import type { EngineStatus, StartStage } from '../../../engine/host/engine-types.ts';
import type { StoreInventory, StoreStatus } from '../../../electron/node-host/api/store-types.ts';
import type { SettingsState } from '../../../electron/node-host/api/settings-types.ts';
import type { DiskUsage } from '../../../electron/node-host/api/disk-types.ts';
import type { Volume } from '../../../electron/node-host/api/volume-types.ts';

/** A value the host answered, or why it could not (shown inline, in the host's words). */
export type Loaded<T> = { value: T; error?: undefined } | { value?: undefined; error: string } | null;

export interface DashData {
  connection: 'connecting' | 'open' | 'closed';
  engine: EngineStatus | null;
  stage: StartStage | null;
  info: Loaded<SystemInfo>;
  containers: Loaded<Container[]>;
  images: Loaded<ImageList>;
  inventory: Loaded<StoreInventory>;
  store: Loaded<StoreStatus>;
  settings: Loaded<SettingsState>;
  volumes: Loaded<Volume[]>;
  /** Asked for when the Disk view shows and after what changes it (switch, reclaim, prune). */
  disk: Loaded<DiskUsage>;
  transfers: Record<string, TransferProgress>;
  /** Live log text per container, capped so a chatty container cannot eat the page's memory. */
  logs: Record<string, string>;
  settingsProgress: string[];
  storeProgress: string[];
}

export const LOG_CAP = 200_000;

export function initialData(): DashData {
  return {
    connection: 'connecting',
    engine: null,
    stage: null,
    info: null,
    containers: null,
    images: null,
    inventory: null,
    store: null,
    settings: null,
    volumes: null,
    disk: null,
    transfers: {},
    logs: {},
    settingsProgress: [],
    storeProgress: [],
  };
}

export function reduceEvent(s: DashData, ev: ApiEvent): Partial<DashData> {
  switch (ev.name) {
    case 'engine.status': {
      const engine = ev.data;
      // Leaving "running" forgets what the stores held: a restart (switch, reset) may change it,
      // and a stale banner would be wrong. It is loaded again when the engine runs.
      if (engine.state !== 'running')
        return {
          engine,
          stage: engine.state === 'starting' ? s.stage : null,
          store: null,
          inventory: null,
          disk: null,
        };
      return { engine, stage: null };
    }
    case 'engine.stage':
      return { stage: ev.data };
    case 'system.info':
      return { info: { value: ev.data } };
    case 'containers.changed':
      return { containers: { value: ev.data } };
    case 'images.changed':
      return { images: { value: ev.data } };
    case 'containers.log': {
      const { containerId, text } = ev.data;
      const next = (s.logs[containerId] ?? '') + text;
      return { logs: { ...s.logs, [containerId]: next.length > LOG_CAP ? next.slice(next.length - LOG_CAP) : next } };
    }
    case 'images.progress':
      return { transfers: { ...s.transfers, [ev.data.opId]: ev.data } };
    case 'store.changed':
      return { store: { value: ev.data } };
    case 'volumes.changed':
      return { volumes: { value: ev.data } };
    case 'store.progress':
      return {
        storeProgress: ev.data.done
          ? []
          : [...s.storeProgress, ev.data.detail ? `${ev.data.step}: ${ev.data.detail}` : ev.data.step].slice(-20),
      };
    case 'settings.changed':
      return { settings: { value: ev.data } };
    case 'settings.progress':
      return { settingsProgress: [...s.settingsProgress, ev.data.message].slice(-20) };
  }
}
