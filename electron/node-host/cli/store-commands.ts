// `berth store …`: which image store is active, what the hidden one holds, switch, migrate. Each
// is one contract call (store.status, store.switch, store.migrate) on the control socket.
import type { ControlClient } from '../control/control-client.ts';
import { otherStore } from '../api/image-store.ts';
import type { StoreProgress, StoreStatus } from '../api/store-types.ts';

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

/** `berth store --json`, in the field names it has always printed. */
export function summaryJson(s: StoreStatus): object {
  return {
    active: s.active, activeImages: s.holds.images, activeContainers: s.holds.containers, activeBytes: s.holds.bytes,
    hidden: { store: otherStore(s.active), ...s.hidden }, diskFreeBytes: s.diskFreeBytes,
  };
}

/** A migration step as the CLI prints it: "load [2/3]: loading alpine:3". */
export function progressLine(p: StoreProgress): string {
  return `${p.step}${p.count ? ` [${p.count.done}/${p.count.total}]` : ''}: ${p.detail ?? ''}`;
}

export async function storeCommand(client: ControlClient, args: string[], usage: (msg: string) => Error): Promise<number> {
  const [sub, arg] = args;
  if (sub === undefined || sub === '--json') {
    const s = await client.call('store.status', {});
    console.log(sub === '--json' ? JSON.stringify(summaryJson(s), null, 2) : formatSummary(s));
    return 0;
  }
  if (sub === 'use') {
    if (arg !== 'containerd' && arg !== 'classic') throw usage(`'berth store use' takes containerd or classic, not '${arg ?? ''}'`);
    console.log(`Switching to the ${LABEL[arg]} (the engine restarts; nothing is deleted)…`);
    console.log(formatSummary(await client.call('store.switch', { store: arg })));
    return 0;
  }
  if (sub === 'migrate') {
    const off = client.onEvent((e) => { if (e.name === 'store.progress' && !e.data.done) console.log(progressLine(e.data)); });
    try {
      await client.call('store.migrate', {});
      return 0;
    } catch (e) {
      console.error(`berth: migration failed: ${(e as Error).message}`);
      return 1;
    } finally { off(); }
  }
  throw usage(`unknown 'berth store' command '${sub}'`);
}
