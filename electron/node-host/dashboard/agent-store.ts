// StoreProvider over the guest agent (inventory of both stores, migration) and the settings
// service (a switch is a settings change, so the choice survives the next start).
import type { EngineController } from '../../../engine/host/engine-controller.ts';
import { fromStoreEnum, type InventoryReply } from '../../../engine/agent/agent-types.ts';
import type { StoreInventory, StoreStatus } from '../api/store-types.ts';
import type { SettingsProvider, StoreEvent, StoreProvider } from './services.ts';
import { storeSetting } from '../api/image-store.ts';

export class AgentStoreProvider implements StoreProvider {
  private listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly engine: EngineController, private readonly settings: SettingsProvider) {}

  async status(): Promise<StoreStatus> { return storeStatus(await this.engine.agent.inventory()); }

  async inventory(): Promise<StoreInventory> {
    const inv = await this.engine.agent.inventory();
    return {
      store: fromStoreEnum(inv.active.store) ?? 'classic',
      images: inv.active.images.map((i) => ({
        id: i.id, repoTags: i.refs,
        variants: i.platforms.map((p) => ({ platform: [p.os, p.architecture, p.variant].filter(Boolean).join('/'), present: p.present })),
      })),
    };
  }

  async switch(store: 'containerd' | 'classic'): Promise<StoreStatus> {
    this.emit({ type: 'progress', progress: { step: `Switching to the ${store} image store`, detail: 'restarting the Docker Engine', done: false } });
    try {
      await this.settings.apply(storeSetting(store));
    } finally {
      this.emit({ type: 'progress', progress: { step: 'done', done: true } });
    }
    const st = await this.status();
    this.emit({ type: 'changed', status: st });
    return st;
  }

  async migrate(): Promise<{ migrated: string[]; skipped: Array<{ ref: string; reason: string }> }> {
    const last = await this.engine.agent.migrate((p) => this.emit({
      type: 'progress', progress: { step: p.phase, detail: p.message, ...(p.total ? { count: { done: p.done, total: p.total } } : {}), done: false },
    }));
    this.emit({ type: 'progress', progress: { step: 'done', done: true } });
    this.emit({ type: 'changed', status: await this.status() });
    return { migrated: last.migrated, skipped: [] };
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: StoreEvent): void { for (const l of this.listeners) l(e); }
}

/** The agent's inventory of both stores, counted. */
export function storeStatus(inv: InventoryReply): StoreStatus {
  const holds = (s: InventoryReply['active']) => ({ images: s.images.length, bytes: s.total_image_bytes, containers: s.containers.length });
  return { active: fromStoreEnum(inv.active.store) ?? 'classic', holds: holds(inv.active), hidden: holds(inv.hidden), diskFreeBytes: inv.disk_free_bytes };
}
