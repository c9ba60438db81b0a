// File-change events for shared folders. Linux's virtiofs never tells the guest kernel about a
// change made on the host, so a watcher in a container (inotify: fs.watch, chokidar, webpack,
// inotifywait) would see nothing. The host watches the folders containers can see (the running
// containers' bind mounts in a share: bind-mount-roots.ts; one inotify watch per directory
// through fs.watch, bounded), coalesces what it hears for DELAY_MS, checks each
// path with lstat and sends the guest agent a batch: which paths changed or went away, with the
// host's inode numbers. The agent makes the guest kernel emit events on the paths someone in the
// VM watches (engine/agent/file-events.ts).
//
// Echoes: the agent's own touch (a chmod to the mode the file already has) comes back here as an
// attribute change; a path whose (inode, size, mtime, mode, owner) is what was last sent is not
// sent again, so nothing ping-pongs.
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ContainerBinds, type WatchRoot } from './bind-mount-roots.ts';
import { within } from './file-sharing.ts';

export interface HostFileChange {
  path: string;
  deleted: boolean;
  /** The host's inode of the path (0 when deleted) and of its folder: the guest sees the same numbers. */
  ino: number;
  parent_ino: number;
  /** The mode bits to touch with (the path's, or its folder's when deleted). */
  mode: number;
}

/** What decides whether a path changed since it was last sent. */
export function signature(st: fs.Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.mode}:${st.uid}:${st.gid}`;
}

/**
 * One path heard about: the change to send, or null (an echo of what was sent, or a path that
 * whose folder is gone too). `sent` holds the signatures last sent, by path; it is updated.
 */
export function decide(
  p: string,
  st: fs.Stats | null,
  parent: fs.Stats | null,
  sent: Map<string, string>,
): HostFileChange | null {
  if (!st) {
    sent.delete(p);
    // A name that vanished is told with its folder: that folder is what the guest touches.
    if (!parent) return null;
    return { path: p, deleted: true, ino: 0, parent_ino: parent.ino, mode: parent.mode & 0o7777 };
  }
  const sig = signature(st);
  if (sent.get(p) === sig) return null;
  sent.delete(p); // re-inserted last: the map's order is its age
  sent.set(p, sig);
  return { path: p, deleted: false, ino: st.ino, parent_ino: parent?.ino ?? 0, mode: st.mode & 0o7777 };
}

export interface ShareEventsOptions {
  /** Watched from start(); setRoots() changes them. A plain path is a whole tree. */
  roots: Array<string | WatchRoot>;
  /** Sends one batch; a failure drops it (the guest may be restarting). */
  send: (changes: HostFileChange[]) => Promise<void>;
  log?: (line: string) => void;
  /** Folders watched at most (inotify watches are a per-user budget). */
  maxWatches?: number;
  delayMs?: number;
  /** Paths per batch at most; more go in the next. */
  batchMax?: number;
}

const SENT_MAX = 50_000;

/** The inotify budget: half of what this user may hold, at most 20,000 folders. */
export function defaultMaxWatches(
  readLimit: () => string = () => fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'),
): number {
  try {
    const limit = Number(readLimit().trim());
    return Number.isFinite(limit) && limit > 0 ? Math.max(100, Math.min(20_000, Math.floor(limit / 2))) : 8192;
  } catch {
    return 8192;
  }
}

export interface ShareEventsStatus {
  watchedFolders: number;
  truncated: boolean;
  walkMs: number;
  sentBatches: number;
  sentChanges: number;
}

export class ShareEvents {
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly pending = new Set<string>();
  private readonly sent = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private stopped = false;
  private truncated = false;
  private walkMs = 0;
  private sentBatches = 0;
  private sentChanges = 0;
  private readonly maxWatches: number;
  private readonly delayMs: number;
  private readonly batchMax: number;
  private readonly log: (line: string) => void;
  private roots: WatchRoot[];

  constructor(private readonly o: ShareEventsOptions) {
    this.roots = o.roots.map((r) => (typeof r === 'string' ? { path: r, recursive: true } : r));
    this.maxWatches = o.maxWatches ?? defaultMaxWatches();
    this.delayMs = o.delayMs ?? 50;
    this.batchMax = o.batchMax ?? 2000;
    this.log = o.log ?? (() => {});
  }

  /** Watches every folder of the roots (breadth first, within the budget); resolves when done. */
  async start(): Promise<ShareEventsStatus> {
    return this.setRoots(this.roots);
  }

  /**
   * Watches these roots from now on: folders no root covers any more are let go, new roots are
   * walked (within the budget). Resolves when the walk is done; walkMs is its time.
   */
  async setRoots(roots: WatchRoot[]): Promise<ShareEventsStatus> {
    const t0 = performance.now();
    const before = new Set(this.roots.map((r) => JSON.stringify(r)));
    this.roots = roots;
    for (const d of [...this.watchers.keys()])
      if (!this.covers(d)) {
        this.watchers.get(d)?.close();
        this.watchers.delete(d);
      }
    // A walk the budget cut short is walked again: dropped roots may have freed watches.
    const wasTruncated = this.truncated;
    this.truncated = false;
    for (const r of roots) {
      if (!wasTruncated && before.has(JSON.stringify(r)) && this.watchers.has(r.path)) continue;
      if (r.recursive) await this.watchTree(r.path, false);
      else if (!this.watchers.has(r.path) && this.watchers.size < this.maxWatches) this.watchOne(r.path);
    }
    this.walkMs = Math.round(performance.now() - t0);
    if (this.truncated)
      this.log(
        `file events: more than ${this.maxWatches} folders under ${roots.map((r) => r.path).join(', ')}: changes in the rest are not forwarded`,
      );
    return this.status();
  }

  /** A folder some root watches: inside a tree, or a single folder itself. */
  private covers(dir: string): boolean {
    return this.roots.some((r) => (r.recursive ? within(dir, r.path) : dir === r.path));
  }

  status(): ShareEventsStatus {
    return {
      watchedFolders: this.watchers.size,
      truncated: this.truncated,
      walkMs: this.walkMs,
      sentBatches: this.sentBatches,
      sentChanges: this.sentChanges,
    };
  }

  private stopHooks: Array<() => void> = [];
  onStop(fn: () => void): void {
    this.stopHooks.push(fn);
  }

  stop(): void {
    for (const fn of this.stopHooks.splice(0)) fn();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /**
   * Watches dir and the folders below it. announce: the tree is new (created, or moved in): its
   * contents are told too, since they may have appeared before their folder was watched.
   */
  private async watchTree(dir: string, announce: boolean): Promise<void> {
    const queue = [dir];
    let n = 0;
    while (queue.length && !this.stopped) {
      const d = queue.shift()!;
      // A folder watched already (alone, as a bind-mounted file's) is still walked into.
      if (!this.watchers.has(d)) {
        if (this.watchers.size >= this.maxWatches) {
          this.truncated = true;
          return;
        }
        if (!this.watchOne(d)) continue;
      }
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(d, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of entries) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) queue.push(p);
        if (announce) this.heard(p);
      }
      // Let the rest of the host run between folders of a large tree.
      if (++n % 200 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  private watchOne(dir: string): boolean {
    try {
      const w = fs.watch(dir, { persistent: false }, (_type, name) =>
        this.heard(name ? path.join(dir, name.toString()) : dir),
      );
      w.on('error', () => this.unwatch(dir));
      this.watchers.set(dir, w);
      return true;
    } catch {
      return false;
    }
  }

  private unwatch(dir: string): void {
    for (const [d, w] of this.watchers) {
      if (d === dir || d.startsWith(`${dir}/`)) {
        w.close();
        this.watchers.delete(d);
      }
    }
  }

  private heard(p: string): void {
    if (this.stopped) return;
    this.pending.add(p);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.delayMs);
  }

  /** Checks what was heard and sends it; one flush at a time, the next one after it. */
  private async flush(): Promise<void> {
    if (this.flushing) {
      await this.flushing;
      if (this.pending.size)
        this.timer ??= setTimeout(() => {
          this.timer = null;
          void this.flush();
        }, 0);
      return;
    }
    this.flushing = this.flushNow().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async flushNow(): Promise<void> {
    const paths = [...this.pending].slice(0, this.batchMax);
    for (const p of paths) this.pending.delete(p);
    const lstat = (p: string): Promise<fs.Stats | null> => fs.promises.lstat(p).catch(() => null);
    const changes: HostFileChange[] = [];
    const newDirs: string[] = [];
    for (const p of paths) {
      const [st, parent] = await Promise.all([lstat(p), lstat(path.dirname(p))]);
      const c = decide(p, st, parent, this.sent);
      if (!c) continue;
      changes.push(c);
      if (st?.isDirectory() && !this.watchers.has(p) && this.covers(p)) newDirs.push(p);
      if (!st && this.watchers.has(p)) this.unwatch(p);
      // The touch of a deleted path's folder comes back as that folder's change: expected.
      if (!st && parent) this.sent.set(path.dirname(p), signature(parent));
    }
    while (this.sent.size > SENT_MAX) this.sent.delete(this.sent.keys().next().value!);
    if (changes.length) {
      this.sentBatches++;
      this.sentChanges += changes.length;
      await this.o
        .send(changes)
        .catch((e: Error) => this.log(`file events: a batch of ${changes.length} was not delivered: ${e.message}`));
    }
    for (const d of newDirs) await this.watchTree(d, true);
    if (this.pending.size)
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, 0);
  }
}

/**
 * The engine's hook: watches what containers see of the shared folders (the running containers'
 * bind mounts, followed through `docker`; without it, or with BERTH_FILE_EVENTS_WATCH=shares, the
 * whole shares) and sends what changes to the agent of the moment (none while the VM boots: those
 * changes predate any watcher in it). An agent without the call (an older build) is told nothing more.
 */
export function forwardShareEvents(
  shared: string[],
  agent: () => { fileChanges(c: HostFileChange[]): Promise<unknown> } | null,
  log: (line: string) => void,
  docker?: () => Docker,
): ShareEvents | null {
  if (!shared.length || process.env.BERTH_FILE_EVENTS === '0') return null;
  let unsupported = false;
  let lastFailLog = 0;
  const debug = process.env.BERTH_FILE_EVENTS_DEBUG === '1';
  const lazy = docker !== undefined && process.env.BERTH_FILE_EVENTS_WATCH !== 'shares';
  const events = new ShareEvents({
    roots: lazy ? [] : shared,
    log,
    send: async (changes) => {
      const a = agent();
      if (!a || unsupported) return;
      const t0 = performance.now();
      await a.fileChanges(changes).then(
        (r) => {
          if (debug)
            log(
              `file events: ${changes.length} sent in ${Math.round(performance.now() - t0)} ms: ${JSON.stringify(r)}`,
            );
        },
        (e: Error & { grpcCode?: number }) => {
          if (e.grpcCode === 12) {
            unsupported = true;
            log('file events: the guest agent cannot take file changes (an older build)');
            return;
          }
          // The agent may be restarting or the VM busy: said once a minute at most.
          if (Date.now() - lastFailLog > 60_000) {
            lastFailLog = Date.now();
            throw e;
          }
        },
      );
    },
  });
  if (lazy) {
    const isDir = (p: string): boolean => {
      try {
        return fs.statSync(p).isDirectory();
      } catch {
        return false;
      }
    };
    const binds = new ContainerBinds({
      docker,
      shares: shared,
      isDir,
      log,
      onRoots: async (roots) => {
        const s = await events.setRoots(roots);
        log(
          `file events: ${roots.length} bind-mounted folders, ${s.watchedFolders} watched (${s.walkMs} ms)${s.truncated ? ' (the budget ran out: not all)' : ''}`,
        );
      },
    });
    binds.start();
    events.onStop(() => binds.stop());
  } else {
    void events
      .start()
      .then((s) =>
        log(
          `file events: watching ${s.watchedFolders} folders in ${s.walkMs} ms${s.truncated ? ' (the budget ran out: not all)' : ''}`,
        ),
      );
  }
  // Once the agent answers, an empty batch has it list the VM's watches ahead of the first change.
  const warm = setInterval(() => {
    const a = agent();
    if (!a) return;
    clearInterval(warm);
    void a.fileChanges([]).catch(() => undefined);
  }, 1000);
  warm.unref();
  events.onStop(() => clearInterval(warm));
  return events;
}
