// The dashboard's zustand store: the data pushed by the host (reduceEvent) plus the UI's own
// state. Loads everything once per connection; after that, only events change it.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiClient } from '../../../electron/node-host/api/client.ts';
import type { CallName, CallOutput } from '../../../electron/node-host/api/contract.ts';
import { initialData, reduceEvent, type DashData, type Loaded } from './reduce.ts';
import type { Draft } from './settings-draft.ts';
import { DEFAULT_ROUTE, type SettingsTab, type View } from '../../../electron/node-host/api/routes.ts';

export type { SettingsTab, View };

export interface DashState extends DashData {
  view: View;
  settingsTab: SettingsTab;
  draft: Draft;
  search: string;
  danglingOnly: boolean;
  expanded: Set<string>;
  selectedLogs: string | null;
  setView(v: View): void;
  setSettingsTab(t: SettingsTab): void;
  setDraft(d: Partial<Draft>): void;
  resetDraft(): void;
  setSearch(s: string): void;
  setDanglingOnly(b: boolean): void;
  toggleExpanded(key: string): void;
  setSelectedLogs(id: string | null): void;
  clearSettingsProgress(): void;
}

async function load<N extends CallName>(client: ApiClient, name: N): Promise<Loaded<CallOutput<N>>> {
  try {
    return { value: await client.call(name, {} as never) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export function createDashStore(client: ApiClient | null): StoreApi<DashState> {
  const store = createStore<DashState>()((set) => ({
    ...initialData(),
    view: DEFAULT_ROUTE.view,
    settingsTab: DEFAULT_ROUTE.tab,
    draft: {},
    search: '',
    danglingOnly: false,
    expanded: new Set(),
    selectedLogs: null,
    setView: (view) => set({ view }),
    setSettingsTab: (settingsTab) => set({ settingsTab }),
    setDraft: (d) => set((s) => ({ draft: { ...s.draft, ...d } })),
    resetDraft: () => set({ draft: {} }),
    setSearch: (search) => set({ search }),
    setDanglingOnly: (danglingOnly) => set({ danglingOnly }),
    toggleExpanded: (key) =>
      set((s) => {
        const expanded = new Set(s.expanded);
        if (expanded.has(key)) expanded.delete(key);
        else expanded.add(key);
        return { expanded };
      }),
    setSelectedLogs: (selectedLogs) => set({ selectedLogs }),
    clearSettingsProgress: () => set({ settingsProgress: [] }),
  }));
  if (client) {
    client.onEvent((ev) => {
      const wasRunning = store.getState().engine?.state === 'running';
      store.setState((s) => reduceEvent(s, ev));
      // The inventory (platform variants) follows the image list it describes.
      if (ev.name === 'images.changed' || ev.name === 'store.changed') void refreshInventory(client, store);
      // A switch, migration or reclaim changes what each store costs; a container may start or
      // stop using a volume.
      if (ev.name === 'store.changed' && store.getState().disk) void refreshDisk(client, store);
      if (ev.name === 'containers.changed' && store.getState().volumes) void refreshVolumes(client, store);
      if (ev.name === 'engine.status' && ev.data.state === 'running' && !wasRunning) void loadAll(client, store);
    });
  }
  return store;
}

async function refreshInventory(client: ApiClient, store: StoreApi<DashState>): Promise<void> {
  store.setState({ inventory: await load(client, 'store.inventory') });
}

interface Pending {
  again: boolean;
  done: Promise<void>;
}
const inFlight = new WeakMap<StoreApi<DashState>, Map<string, Pending>>();

/**
 * One request at a time per kind: a call during a request asks once more after it (the answer in
 * flight may predate what prompted the call), not once per call; every caller's promise resolves
 * when an answer newer than its call is in the store.
 */
function once(store: StoreApi<DashState>, kind: string, fn: () => Promise<void>): Promise<void> {
  let m = inFlight.get(store);
  if (!m) inFlight.set(store, (m = new Map()));
  const running = m.get(kind);
  if (running) {
    running.again = true;
    return running.done;
  }
  const p: Pending = { again: true, done: Promise.resolve() };
  const map = m;
  map.set(kind, p);
  p.done = (async () => {
    try {
      while (p.again) {
        p.again = false;
        await fn();
      }
    } finally {
      map.delete(kind);
    }
  })();
  return p.done;
}

export function refreshDisk(client: ApiClient, store: StoreApi<DashState>): Promise<void> {
  return once(store, 'disk', async () => {
    store.setState({ disk: await load(client, 'system.diskUsage') });
  });
}

export function refreshVolumes(client: ApiClient, store: StoreApi<DashState>): Promise<void> {
  return once(store, 'volumes', async () => {
    store.setState({ volumes: await load(client, 'volumes.list') });
  });
}

/** Everything the views show, fetched once when the connection (re)opens. */
export async function loadAll(client: ApiClient, store: StoreApi<DashState>): Promise<void> {
  const [engine, info, containers, images, storeStatus, inventory, settings, volumes] = await Promise.all([
    load(client, 'engine.status'),
    load(client, 'system.info'),
    load(client, 'containers.list'),
    load(client, 'images.list'),
    load(client, 'store.status'),
    load(client, 'store.inventory'),
    load(client, 'settings.get'),
    load(client, 'volumes.list'),
  ]);
  store.setState({
    ...(engine?.value ? { engine: engine.value } : {}),
    info,
    containers,
    images,
    store: storeStatus,
    inventory,
    settings,
    volumes,
    // The Disk view asks again when it shows (what the disk holds may have changed meanwhile).
    disk: null,
  });
}
