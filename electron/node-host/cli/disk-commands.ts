// `berth df` (system.diskUsage) and `berth store reclaim classic|containerd [--yes]`:
// store.reclaimPlan, a confirmation that lists what goes, then store.reclaim with its
// 'store.progress' events.
// Refusals from the host (400: the active store, 409: a switch or migration runs) exit 1 with
// the host's own message.
import { ApiError } from '../api/contract.ts';
import { ImageStoreSchema, type ImageStore } from '../api/store-types.ts';
import type { ControlClient } from '../control/control-client.ts';
import { formatDiskUsage, formatPlan, formatReclaimResult, planIsEmpty } from './disk-format.ts';
import { progressLine } from './format.ts';
import { terminal, type Prompt } from './terminal.ts';

/** The part of the control client these commands use (tests pass a fake). */
export type CallClient = Pick<ControlClient, 'call' | 'onEvent'>;

export interface ReclaimArgs {
  store: ImageStore;
  yes: boolean;
}

/** `reclaim <store> [--yes|-y]`, in any order; anything else is a usage error. */
export function parseReclaimArgs(args: string[], usage: (msg: string) => Error): ReclaimArgs {
  const yes = args.some((a) => a === '--yes' || a === '-y');
  const rest = args.filter((a) => a !== '--yes' && a !== '-y');
  const unknownFlag = rest.find((a) => a.startsWith('-'));
  if (unknownFlag) throw usage(`'berth store reclaim' does not know the option '${unknownFlag}'`);
  const store = ImageStoreSchema.safeParse(rest[0]);
  if (rest.length !== 1 || !store.success)
    throw usage(`'berth store reclaim' takes classic or containerd (the hidden store), not '${rest.join(' ')}'`);
  return { store: store.data, yes };
}

/** `df [--json]`: checked before a host is started for it. */
export function parseDfArgs(args: string[], usage: (msg: string) => Error): { json: boolean } {
  const bad = args.find((a) => a !== '--json');
  if (bad !== undefined) throw usage(`'berth df' takes only --json, not '${bad}'`);
  return { json: args.length > 0 };
}

/** The DiskUsage object as the contract shapes it (--json: what the dashboard's Disk view shows), or a table. */
export async function dfCommand(client: CallClient, opts: { json: boolean }): Promise<number> {
  const d = await client.call('system.diskUsage', {});
  console.log(opts.json ? JSON.stringify(d, null, 2) : formatDiskUsage(d));
  return 0;
}

export async function reclaimCommand(
  client: CallClient,
  args: string[],
  usage: (msg: string) => Error,
  prompt: Prompt = terminal,
): Promise<number> {
  const { store, yes } = parseReclaimArgs(args, usage);
  return refusedAsExit1(async () => {
    const plan = await client.call('store.reclaimPlan', { store });
    if (planIsEmpty(plan)) {
      console.log(`The ${store} image store holds nothing to reclaim.`);
      return 0;
    }
    console.log(formatPlan(plan));
    if (!yes) {
      if (!prompt.isTTY) {
        console.error(
          `berth: refusing to delete the ${store} image store's contents without confirmation: pass --yes (no terminal to ask on)`,
        );
        return 1;
      }
      const answer = await prompt.ask('Delete these? [y/N] ');
      if (!/^y(es)?$/i.test(answer.trim())) {
        console.error('Reclaim cancelled: nothing was deleted.');
        return 1;
      }
    }
    const off = followStoreProgress(client);
    try {
      console.log(formatReclaimResult(await client.call('store.reclaim', { store })));
    } finally {
      off();
    }
    return 0;
  });
}

/** Prints each 'store.progress' step as it arrives (a migration's, a reclaim's); returns the unsubscribe. */
export function followStoreProgress(client: CallClient): () => void {
  return client.onEvent((e) => {
    if (e.name === 'store.progress' && !e.data.done) console.log(progressLine(e.data));
  });
}

/** The host's refusals and failures (ApiError) as `berth: <message>`, exit 1; anything else is thrown. */
async function refusedAsExit1(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    console.error(`berth: ${e.message}`);
    return 1;
  }
}
