// The dashboard's zustand store: the data pushed by the host (reduceEvent) plus the UI's own
// state. Loads everything once per connection; after that, only events change it.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiClient } from '../../../electron/node-host/api/client.ts';
import type { CallName, CallOutput } from '../../../electron/node-host/api/contract.ts';
import { initialData, reduceEvent, type DashData, type Loaded } from './reduce.ts';
import type { Draft } from './settings-draft.ts';

export type View = 'containers' | 'images' | 'settings' | 'troubleshoot';
export type SettingsTab = 'general' | 'engine' | 'resources';

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
  try { return { value: await client.call(name, {} as never) }; } catch (e) { return { error: (e as Error).message }; }
}

export function createDashStore(client: ApiClient | null): StoreApi<DashState> {
  const store = createStore<DashState>()((set) => ({
    ...initialData(),
    view: 'containers', settingsTab: 'general', draft: {}, search: '', danglingOnly: false, expanded: new Set(), selectedLogs: null,
    setView: (view) => set({ view }),
    setSettingsTab: (settingsTab) => set({ settingsTab }),
    setDraft: (d) => set((s) => ({ draft: { ...s.draft, ...d } })),
    resetDraft: () => set({ draft: {} }),
    setSearch: (search) => set({ search }),
    setDanglingOnly: (danglingOnly) => set({ danglingOnly }),
    toggleExpanded: (key) => set((s) => {
      const expanded = new Set(s.expanded);
      if (expanded.has(key)) expanded.delete(key); else expanded.add(key);
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
      if (ev.name === 'engine.status' && ev.data.state === 'running' && !wasRunning) void loadAll(client, store);
    });
  }
  return store;
}

async function refreshInventory(client: ApiClient, store: StoreApi<DashState>): Promise<void> {
  store.setState({ inventory: await load(client, 'store.inventory') });
}

/** Everything the views show, fetched once when the connection (re)opens. */
export async function loadAll(client: ApiClient, store: StoreApi<DashState>): Promise<void> {
  const [engine, info, containers, images, storeStatus, inventory, settings] = await Promise.all([
    load(client, 'engine.status'), load(client, 'system.info'), load(client, 'containers.list'), load(client, 'images.list'),
    load(client, 'store.status'), load(client, 'store.inventory'), load(client, 'settings.get'),
  ]);
  store.setState({
    ...(engine?.value ? { engine: engine.value } : {}),
    info, containers, images, store: storeStatus, inventory, settings,
  });
}
