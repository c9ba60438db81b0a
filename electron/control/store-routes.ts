// Control API routes for the image stores: summary, inventory, switch, migrate.
import { z } from 'zod';
import type { EngineController } from '../../engine/host/engine-controller.ts';
import type { ControlServer } from './control-server.ts';
import { HttpError, ndjson, readJson } from './http-json.ts';
import { fromStoreEnum, type InventoryReply, type StoreName } from '../../engine/agent/messages.ts';

export const StoreUseBody = z.object({ store: z.enum(['containerd', 'classic']) });

export const StoreSummarySchema = z.object({
  active: z.enum(['containerd', 'classic']),
  activeImages: z.number(), activeContainers: z.number(), activeBytes: z.number(),
  hidden: z.object({ store: z.enum(['containerd', 'classic']), images: z.number(), bytes: z.number(), containers: z.number() }),
  diskFreeBytes: z.number(),
});
export type StoreSummary = z.infer<typeof StoreSummarySchema>;

export function summarize(inv: InventoryReply): StoreSummary {
  const name = (e: InventoryReply['active']['store']): StoreName => fromStoreEnum(e) ?? 'classic';
  return {
    active: name(inv.active.store),
    activeImages: inv.active.images.length, activeContainers: inv.active.containers.length, activeBytes: inv.active.total_image_bytes,
    hidden: { store: name(inv.hidden.store), images: inv.hidden.images.length, bytes: inv.hidden.total_image_bytes, containers: inv.hidden.containers.length },
    diskFreeBytes: inv.disk_free_bytes,
  };
}

/**
 * `useStore` is how a switch is applied: through the settings service when the host has one, so
 * the choice survives the next start; straight through the agent otherwise.
 */
export function registerStoreRoutes(server: ControlServer, engine: EngineController,
  useStore: (store: StoreName) => Promise<void> = async (store) => { await engine.agent.setImageStore(store); }): void {
  server.route('GET', '/v1/store', async () => summarize(await engine.agent.inventory()));
  server.route('GET', '/v1/store/inventory', () => engine.agent.inventory());
  server.route('POST', '/v1/store/use', async (req) => {
    const body = StoreUseBody.safeParse(await readJson(req));
    if (!body.success) throw new HttpError(400, 'store must be "containerd" or "classic"');
    await useStore(body.data.store);
    return summarize(await engine.agent.inventory());
  });
  server.route('POST', '/v1/store/migrate', async (_req, res) => {
    const agent = engine.agent;
    const write = ndjson(res);
    try {
      const last = await agent.migrate((p) => write({ type: 'event', name: 'migrate-progress', data: p }));
      write({ type: 'event', name: 'migrate-done', data: last });
    } catch (e) {
      write({ type: 'error', message: (e as Error).message });
    }
    res.end();
  });
}
