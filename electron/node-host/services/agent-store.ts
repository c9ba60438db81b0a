// StoreProvider over the guest agent: inventory of both stores, migration, reclaim, and the store
// switch (store/store-switch.ts: a settings change, so the choice survives the next start).
import type { EngineController } from '../../../engine/host/engine-controller.ts';
import { fromStoreEnum, type InventoryReply } from '../../../engine/agent/agent-types.ts';
import type { StoreInventory, StoreStatus, StoreSwitchResult } from '../api/store-types.ts';
import type { DiskUsage, ReclaimPlan, ReclaimResult } from '../api/disk-types.ts';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ApiError } from '../api/contract.ts';
import { diskFileSpace, reclaimPlan, toDiskUsage } from './store-space.ts';
import { imageVariants } from './image-variants.ts';
import type { SettingsProvider, StoreEvent, StoreProvider } from './services.ts';
import { switchStore } from '../store/store-switch.ts';
import { engineCallFailure } from '../../../engine/host/vm-loss.ts';

export class AgentStoreProvider implements StoreProvider {
  private listeners = new Set<(e: StoreEvent) => void>();

  constructor(
    private readonly engine: EngineController,
    private readonly settings: SettingsProvider,
    private readonly dataDisk: string,
  ) {}

  async status(): Promise<StoreStatus> {
    return storeStatus(await this.engine.agent.inventory());
  }

  async inventory(): Promise<StoreInventory> {
    const inv = await this.engine.agent.inventory();
    return {
      store: activeStoreOf(inv),
      images: inv.active.images.map((i) => ({ id: i.id, repoTags: i.refs, variants: imageVariants(i) })),
    };
  }

  switch(store: 'containerd' | 'classic'): Promise<StoreSwitchResult> {
    return switchStore(store, {
      applySetting: (patch) => this.settings.apply(patch),
      activeStore: async () => fromStoreEnum((await this.engine.agent.status()).active_store),
      status: () => this.status(),
      progress: (progress) => this.emit({ type: 'progress', progress }),
      changed: (status) => this.emit({ type: 'changed', status }),
    });
  }

  async migrate(): Promise<{ migrated: string[]; skipped: Array<{ ref: string; reason: string }> }> {
    const last = await this.engine.journal
      .run({ kind: 'migrate' }, () =>
        this.engine.agent.migrate((p) =>
          this.emit({
            type: 'progress',
            progress: {
              step: p.phase,
              detail: p.message,
              ...(p.total ? { count: { done: p.done, total: p.total } } : {}),
              done: false,
            },
          }),
        ),
      )
      .catch(async (e: unknown) => {
        throw await engineCallFailure(this.engine, e);
      });
    this.emit({ type: 'progress', progress: { step: 'done', done: true } });
    this.emit({ type: 'changed', status: await this.status() });
    return { migrated: last.migrated, skipped: [] };
  }

  async diskUsage(): Promise<DiskUsage> {
    return toDiskUsage(await this.engine.agent.diskUsage(), diskFileSpace(this.dataDisk));
  }

  async reclaimPlan(store: 'containerd' | 'classic'): Promise<ReclaimPlan> {
    const [inv, usage] = await Promise.all([this.engine.agent.inventory(), this.diskUsage()]);
    if (fromStoreEnum(inv.active.store) === store) throw activeRefusal(store);
    return reclaimPlan(store, inv, usage);
  }

  /** Deletes the hidden store's contents; the agent refuses the active store and a busy engine. */
  async reclaim(store: 'containerd' | 'classic'): Promise<ReclaimResult> {
    const agent = this.engine.agent;
    if (fromStoreEnum((await agent.status()).active_store) === store) throw activeRefusal(store);
    // Written out first: data still in the guest's page cache takes no room in the disk file yet.
    await this.engine.guest.run('sync');
    const before = diskFileSpace(this.dataDisk).allocatedBytes;
    this.emit({
      type: 'progress',
      progress: {
        step: `Reclaiming the ${store} image store`,
        detail: 'deleting its images and containers',
        done: false,
      },
    });
    const off = this.engine.onAgentEvent((e) => {
      if (e.kind === 'progress' && e.message.startsWith('reclaim: '))
        this.emit({ type: 'progress', progress: { step: 'reclaim', detail: e.message.slice(9), done: false } });
    });
    let r;
    try {
      r = await this.engine.journal.run({ kind: 'reclaim', store }, () => agent.reclaimStore(store));
    } catch (e) {
      // gRPC ABORTED (busy) and INVALID_ARGUMENT (the active store) are refusals: 409 and 400.
      const { message, grpcCode } = e as Error & { grpcCode?: number };
      throw grpcCode === grpcStatus.ABORTED
        ? new ApiError(message, 409)
        : grpcCode === grpcStatus.INVALID_ARGUMENT
          ? new ApiError(message, 400)
          : await engineCallFailure(this.engine, e);
    } finally {
      off();
      this.emit({ type: 'progress', progress: { step: 'done', done: true } });
    }
    this.emit({ type: 'changed', status: await this.status() });
    return {
      store,
      images: r.images,
      containers: r.containers,
      reclaimedBytes: r.reclaimed_bytes,
      diskFileBefore: before,
      diskFileAfter: diskFileSpace(this.dataDisk).allocatedBytes,
    };
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: StoreEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function activeRefusal(store: string): ApiError {
  return new ApiError(
    `the ${store} image store is active: only the hidden store can be reclaimed (switch to the other store first)`,
    400,
  );
}

/**
 * The store the agent says is active. An answer without one (dockerd not answering) is an error:
 * taking it for either store would show that store's images as the user's, and hide the rest.
 */
function activeStoreOf(inv: InventoryReply): 'containerd' | 'classic' {
  const store = fromStoreEnum(inv.active.store);
  if (!store)
    throw new ApiError(
      'the engine did not say which image store is active (dockerd may be restarting); try again in a moment',
      503,
    );
  return store;
}

/** The agent's inventory of both stores, counted. */
export function storeStatus(inv: InventoryReply): StoreStatus {
  const holds = (s: InventoryReply['active']) => ({
    images: s.images.length,
    bytes: s.total_image_bytes,
    containers: s.containers.length,
  });
  return {
    active: activeStoreOf(inv),
    holds: holds(inv.active),
    hidden: holds(inv.hidden),
    diskFreeBytes: inv.disk_free_bytes,
  };
}
