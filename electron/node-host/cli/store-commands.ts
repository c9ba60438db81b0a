// `berth store …`: which image store is active, what each store costs on disk, switch, migrate,
// reclaim. Each is a contract call (store.status with system.diskUsage, store.switch,
// store.migrate, store.reclaimPlan/reclaim) on the control socket.
import { otherStore } from '../../../engine/shared/image-store.ts';
import type { DiskUsage } from '../api/disk-types.ts';
import type { StoreStatus } from '../api/store-types.ts';
import { formatDiskUsage } from './disk-format.ts';
import { followStoreProgress, reclaimCommand, type CallClient } from './disk-commands.ts';

const MB = 1024 * 1024;
const LABEL = { containerd: 'containerd image store', classic: 'classic image store' } as const;

export function formatSummary(s: StoreStatus): string {
  const mb = (b: number): string => `${(b / MB).toFixed(1)} MB`;
  const hidden = otherStore(s.active);
  return [
    `active: ${LABEL[s.active]} (${s.holds.images} images, ${mb(s.holds.bytes)}; ${s.holds.containers} containers)`,
    `hidden: ${LABEL[hidden]} holds ${s.hidden.images} images (${mb(s.hidden.bytes)}) and ${s.hidden.containers} containers` +
      (s.hidden.images + s.hidden.containers > 0 ? `; switch back with 'berth store use ${hidden}'` : ''),
  ].join('\n');
}

/** `berth store --json`, in the field names it has always printed, and `disk` (system.diskUsage) when measured. */
export function summaryJson(s: StoreStatus, disk?: DiskUsage): object {
  return {
    active: s.active,
    activeImages: s.holds.images,
    activeContainers: s.holds.containers,
    activeBytes: s.holds.bytes,
    hidden: { store: otherStore(s.active), ...s.hidden },
    diskFreeBytes: s.diskFreeBytes,
    ...(disk ? { disk } : {}),
  };
}

export async function storeCommand(client: CallClient, args: string[], usage: (msg: string) => Error): Promise<number> {
  const [sub, arg] = args;
  if (sub === undefined || sub === '--json') {
    // The disk numbers are extra: a failure to measure them (du under a slow VM) still shows the store.
    const [s, disk] = await Promise.all([
      client.call('store.status', {}),
      client.call('system.diskUsage', {}).catch((e: Error) => {
        console.error(`berth: disk usage not measured: ${e.message}`);
        return undefined;
      }),
    ]);
    if (sub === '--json') console.log(JSON.stringify(summaryJson(s, disk), null, 2));
    else console.log(disk ? `${formatSummary(s)}\n\n${formatDiskUsage(disk)}` : formatSummary(s));
    return 0;
  }
  if (sub === 'reclaim') return reclaimCommand(client, args.slice(1), usage);
  if (sub === 'use') {
    if (arg !== 'containerd' && arg !== 'classic')
      throw usage(`'berth store use' takes containerd or classic, not '${arg ?? ''}'`);
    console.log(`Switching to the ${LABEL[arg]} (the engine restarts; nothing is deleted)…`);
    // The phases the dashboard's Apply & Restart shows, from the same events.
    const off = client.onEvent((e) => {
      if (e.name === 'settings.progress') console.log(`  ${e.data.message}`);
    });
    try {
      const r = await client.call('store.switch', { store: arg });
      console.log(
        `The ${LABEL[r.active]} is active (${(r.ms / 1000).toFixed(1)} s). The ${LABEL[r.hidden]} is hidden, not deleted: ` +
          `'berth store' shows what it holds; 'berth store use ${r.hidden}' brings it back.`,
      );
      return 0;
    } finally {
      off();
    }
  }
  if (sub === 'migrate') {
    const off = followStoreProgress(client);
    try {
      await client.call('store.migrate', {});
      return 0;
    } catch (e) {
      console.error(`berth: migration failed: ${(e as Error).message}`);
      return 1;
    } finally {
      off();
    }
  }
  throw usage(`unknown 'berth store' command '${sub}'`);
}
