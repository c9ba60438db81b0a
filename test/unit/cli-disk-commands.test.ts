// `berth df`, `berth store [--json]` and `berth store reclaim` against a stand-in host: argument
// parsing, the confirmation (a terminal asks, a pipe without --yes is refused), the calls made in
// order, progress as it arrives, and the host's refusals as `berth: <message>`, exit 1.
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiError,
  type ApiEvent,
  type CallInput,
  type CallName,
  type CallOutput,
} from '../../electron/node-host/api/contract.ts';
import type { Prompt } from '../../electron/node-host/cli/terminal.ts';
import {
  dfCommand,
  parseDfArgs,
  parseReclaimArgs,
  reclaimCommand,
  type CallClient,
} from '../../electron/node-host/cli/disk-commands.ts';
import { storeCommand } from '../../electron/node-host/cli/store-commands.ts';
import { DISK, MiB, PLAN } from './cli-disk-fixtures.ts';

class UsageError extends Error {}
const usage = (m: string): Error => new UsageError(m);

type Answers = { [N in CallName]?: (input: CallInput<N>, host: FakeHost) => CallOutput<N> };

/** Answers the calls it is given, records every call, and can send events like the host does. */
class FakeHost implements CallClient {
  readonly calls: string[] = [];
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  constructor(private readonly answers: Answers) {}

  call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
    this.calls.push(name);
    const answer = this.answers[name] as ((i: CallInput<N>, h: FakeHost) => CallOutput<N>) | undefined;
    if (!answer) return Promise.reject(new Error(`unexpected call ${name}`));
    try {
      return Promise.resolve(answer(input, this));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  onEvent(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: ApiEvent): void {
    for (const l of this.listeners) l(e);
  }
}

const RESULT = {
  store: 'classic' as const,
  images: 2,
  containers: 2,
  reclaimedBytes: 66 * MiB,
  diskFileBefore: 1600 * MiB,
  diskFileAfter: 1536 * MiB,
};
const reclaimingHost = (): FakeHost =>
  new FakeHost({
    'store.reclaimPlan': () => PLAN,
    'store.reclaim': (_i, host) => {
      host.emit({ name: 'store.progress', data: { step: 'reclaim', detail: 'removing 2 containers', done: false } });
      host.emit({ name: 'store.progress', data: { step: 'reclaim', detail: 'trimming the data disk', done: false } });
      host.emit({ name: 'store.progress', data: { step: 'reclaim', done: true } });
      return RESULT;
    },
  });
const pipe: Prompt = { isTTY: false, ask: () => Promise.reject(new Error('a pipe cannot be asked')) };
const tty = (answer: string, asked: string[] = []): Prompt => ({
  isTTY: true,
  ask: (q) => {
    asked.push(q);
    return Promise.resolve(answer);
  },
});

describe('berth df / store / store reclaim (stand-in host)', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    mock.method(console, 'log', (...a: unknown[]) => {
      out.push(a.join(' '));
    });
    mock.method(console, 'error', (...a: unknown[]) => {
      err.push(a.join(' '));
    });
  });
  afterEach(() => mock.restoreAll());

  it('parses reclaim arguments: one store, --yes or -y anywhere; anything else is a usage error', () => {
    assert.deepEqual(parseReclaimArgs(['classic'], usage), { store: 'classic', yes: false });
    assert.deepEqual(parseReclaimArgs(['--yes', 'containerd'], usage), { store: 'containerd', yes: true });
    assert.deepEqual(parseReclaimArgs(['classic', '-y'], usage), { store: 'classic', yes: true });
    for (const bad of [[], ['both'], ['classic', 'containerd'], ['--yes']]) {
      assert.throws(
        () => parseReclaimArgs(bad, usage),
        (e: Error) => e instanceof UsageError && /takes classic or containerd/.test(e.message),
        bad.join(' '),
      );
    }
    assert.throws(() => parseReclaimArgs(['classic', '--force'], usage), /does not know the option '--force'/);
    assert.deepEqual(parseDfArgs([], usage), { json: false });
    assert.deepEqual(parseDfArgs(['--json'], usage), { json: true });
    assert.throws(
      () => parseDfArgs(['--all'], usage),
      (e: Error) => e instanceof UsageError && /takes only --json, not '--all'/.test(e.message),
    );
  });

  it('store reclaim with --yes: the plan, each progress step as it arrives, then the result', async () => {
    const host = reclaimingHost();
    assert.equal(await reclaimCommand(host, ['classic', '--yes'], usage, pipe), 0);
    assert.deepEqual(host.calls, ['store.reclaimPlan', 'store.reclaim']);
    const text = out.join('\n');
    assert.match(text, /Reclaiming the hidden classic image store deletes:[\s\S]*app:1, app:latest\s+64\.0 MiB/);
    assert.match(text, /run 'berth store migrate' first/);
    assert.match(
      text,
      /reclaim: removing 2 containers\nreclaim: trimming the data disk\nDeleted 2 images and 2 containers/,
    );
    assert.match(text, /Disk file on the host: 1\.6 GiB -> 1\.5 GiB allocated/);
    assert.deepEqual(err, []);
  });

  it('without --yes and without a terminal: lists what would go, deletes nothing, exit 1 saying to pass --yes', async () => {
    const host = reclaimingHost();
    assert.equal(await reclaimCommand(host, ['classic'], usage, pipe), 1);
    assert.deepEqual(host.calls, ['store.reclaimPlan']);
    assert.match(out.join('\n'), /app:1, app:latest/);
    assert.match(
      err.join('\n'),
      /^berth: refusing to delete the classic image store's contents without confirmation: pass --yes/,
    );
  });

  it('on a terminal asks "Delete these? [y/N]": no (or Enter) cancels, y proceeds', async () => {
    for (const no of ['', 'n', 'nope']) {
      const host = reclaimingHost();
      const asked: string[] = [];
      assert.equal(await reclaimCommand(host, ['classic'], usage, tty(no, asked)), 1);
      assert.deepEqual(asked, ['Delete these? [y/N] ']);
      assert.deepEqual(host.calls, ['store.reclaimPlan'], `answer '${no}' deletes nothing`);
    }
    assert.match(err.join('\n'), /Reclaim cancelled: nothing was deleted/);
    const host = reclaimingHost();
    assert.equal(await reclaimCommand(host, ['classic'], usage, tty('Y')), 0);
    assert.deepEqual(host.calls, ['store.reclaimPlan', 'store.reclaim']);
  });

  it("the host's refusals (active store 400, busy 409) are printed as berth: <message>, exit 1", async () => {
    const active = new FakeHost({
      'store.reclaimPlan': () => {
        throw new ApiError('the containerd image store is active: only the hidden store can be reclaimed', 400);
      },
    });
    assert.equal(await reclaimCommand(active, ['containerd', '--yes'], usage, pipe), 1);
    assert.deepEqual(active.calls, ['store.reclaimPlan']);
    assert.deepEqual(err, ['berth: the containerd image store is active: only the hidden store can be reclaimed']);
    err.length = 0;
    const busy = new FakeHost({
      'store.reclaimPlan': () => PLAN,
      'store.reclaim': () => {
        throw new ApiError('a store switch is running', 409);
      },
    });
    assert.equal(await reclaimCommand(busy, ['classic', '--yes'], usage, pipe), 1);
    assert.deepEqual(err, ['berth: a store switch is running']);
  });

  it('an empty hidden store: nothing to reclaim, nothing asked or deleted', async () => {
    const host = new FakeHost({
      'store.reclaimPlan': () => ({
        store: 'classic',
        images: [],
        containers: [],
        buildCacheBytes: 0,
        totalBytes: 0,
        notMigrated: [],
      }),
    });
    assert.equal(await reclaimCommand(host, ['classic'], usage, pipe), 0);
    assert.deepEqual(host.calls, ['store.reclaimPlan']);
    assert.deepEqual(out, ['The classic image store holds nothing to reclaim.']);
  });

  it('df --json prints the DiskUsage object exactly; df prints the table', async () => {
    const host = new FakeHost({ 'system.diskUsage': () => DISK });
    assert.equal(await dfCommand(host, { json: true }), 0);
    assert.deepEqual(JSON.parse(out.join('\n')), DISK);
    assert.equal(out.join('\n'), JSON.stringify(DISK, null, 2));
    out.length = 0;
    await dfCommand(host, { json: false });
    assert.match(out.join('\n'), /^image store\s+images[\s\S]*classic \(hidden\)\s+1 \(64\.0 MiB\)/);
  });

  it('berth store shows the disk numbers beside the store summary, in text and --json', async () => {
    const status = {
      active: 'containerd' as const,
      holds: { images: 3, bytes: 12 * MiB, containers: 1 },
      hidden: { images: 1, bytes: 64 * MiB, containers: 2 },
      diskFreeBytes: 9,
    };
    const host = new FakeHost({ 'store.status': () => status, 'system.diskUsage': () => DISK });
    assert.equal(await storeCommand(host, ['--json'], usage), 0);
    const json = JSON.parse(out.join('\n')) as Record<string, unknown>;
    assert.equal(json.active, 'containerd');
    assert.equal(json.activeImages, 3);
    assert.deepEqual(json.disk, DISK);
    out.length = 0;
    assert.equal(await storeCommand(host, [], usage), 0);
    assert.match(out.join('\n'), /^active: containerd image store[\s\S]*\n\nimage store\s+images[\s\S]*disk file/);
    // Disk usage that cannot be measured still shows the store, and says why.
    out.length = 0;
    const noDisk = new FakeHost({
      'store.status': () => status,
      'system.diskUsage': () => {
        throw new ApiError('agent timed out', 504);
      },
    });
    assert.equal(await storeCommand(noDisk, ['--json'], usage), 0);
    assert.equal((JSON.parse(out.join('\n')) as Record<string, unknown>).disk, undefined);
    assert.match(err.join('\n'), /disk usage not measured: agent timed out/);
  });

  it('berth store reclaim goes through berth store, with its usage errors', async () => {
    const host = reclaimingHost();
    assert.equal(await storeCommand(host, ['reclaim', 'classic', '--yes'], usage), 0);
    assert.deepEqual(host.calls, ['store.reclaimPlan', 'store.reclaim']);
    await assert.rejects(storeCommand(host, ['reclaim'], usage), (e: Error) => e instanceof UsageError);
  });
});
