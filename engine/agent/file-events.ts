// Host file changes made visible to inotify watchers in the VM (the host half is
// engine/host/share-events.ts). The guest kernel emits inotify events only for operations that
// pass through its own VFS, and virtiofs has no way to inject one; so for each path the host
// reports, the agent performs operations that emit events and leave the file as it is:
//   - open for writing, then close: IN_OPEN and IN_CLOSE_WRITE (nothing is written);
//   - fchmod to the mode the file already has (the host's): IN_ATTRIB, which Node's fs.watch,
//     chokidar, webpack and Python's watchdog report as a change.
// A deleted path's folder gets the same chmod (IN_ATTRIB on the folder): the name is gone, and
// creating it again to delete it would race with the host. Only paths that someone in the VM
// watches are touched: every inotify watch of every process (containers included) is listed in
// /proc/<pid>/fdinfo with its inode, and the host sends its inode numbers, which the guest shares.
import fs from 'node:fs';
import path from 'node:path';
import { virtiofsMountDevices } from './virtiofs-tuning.ts';

export interface FileChange {
  path: string;
  deleted: boolean;
  ino: number;
  parent_ino: number;
  mode: number;
}
export interface FileChangesResult {
  poked: number;
  unwatched: number;
  failed: number;
}

/** "major:minor" of each virtiofs mount (its submounts included), from a mountinfo text. */
export function virtiofsDevices(mountinfo: string): Set<string> {
  return new Set(virtiofsMountDevices(mountinfo).map((m) => m.dev));
}

/** The inodes an inotify fdinfo text watches on the given devices ("major:minor"). */
export function watchedInodes(fdinfo: string, devices: Set<string>, into = new Set<number>()): Set<number> {
  for (const m of fdinfo.matchAll(/^inotify wd:\S+ ino:([0-9a-f]+) sdev:([0-9a-f]+)/gm)) {
    const sdev = parseInt(m[2]!, 16);
    // The kernel's own encoding: major above the low 20 bits.
    if (devices.has(`${Math.floor(sdev / 0x100000)}:${sdev % 0x100000}`)) into.add(parseInt(m[1]!, 16));
  }
  return into;
}

/**
 * Every inode watched through inotify in the VM on a virtiofs mount. Synchronous on purpose: a
 * few thousand readlinks through the thread pool cost far more under emulation than in one go.
 */
export function scanWatches(proc = '/proc'): Set<number> {
  const read = (p: string): string => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const list = (p: string): string[] => {
    try {
      return fs.readdirSync(p);
    } catch {
      return [];
    }
  };
  const devices = virtiofsDevices(read(path.join(proc, 'self', 'mountinfo')));
  const out = new Set<number>();
  if (!devices.size) return out;
  for (const pid of list(proc)) {
    if (!/^\d+$/.test(pid)) continue;
    for (const fd of list(path.join(proc, pid, 'fd'))) {
      let target = '';
      try {
        target = fs.readlinkSync(path.join(proc, pid, 'fd', fd));
      } catch {
        continue;
      }
      if (target === 'anon_inode:inotify') watchedInodes(read(path.join(proc, pid, 'fdinfo', fd)), devices, out);
    }
  }
  return out;
}

/**
 * The watches as last scanned: a batch uses them when they are at most FRESH_MS old; otherwise a
 * small batch touches every path (and a scan starts in the background), a large one waits for a scan.
 */
const FRESH_MS = 1000;
const OPTIMISTIC_MAX = 4;
let scanned: { at: number; set: Set<number>; ms: number } | null = null;
let scanning: Promise<void> | null = null;

function rescan(): Promise<void> {
  scanning ??= new Promise<void>((r) => setImmediate(r))
    .then(() => {
      const t0 = performance.now();
      const set = scanWatches();
      scanned = { at: Date.now(), set, ms: performance.now() - t0 };
    })
    .finally(() => {
      scanning = null;
    });
  return scanning;
}

/** How long the last scan took and how many inodes it found (for logs and the bench). */
export function lastScan(): { ms: number; watched: number } | null {
  return scanned ? { ms: Math.round(scanned.ms), watched: scanned.set.size } : null;
}

const { O_WRONLY, O_RDONLY, O_NONBLOCK, O_NOFOLLOW, O_NOCTTY, O_DIRECTORY } = fs.constants;

/**
 * The touch: open (for writing when allowed), chmod to `mode` unless it is a set-id file, close.
 * Only regular files and folders, and only the inode the host named (0: any).
 */
export async function touch(p: string, mode: number, ino: number): Promise<boolean> {
  const st = await fs.promises.lstat(p).catch(() => null);
  if (!st || !(st.isFile() || st.isDirectory()) || (ino && st.ino !== ino)) return false;
  const flags = O_NONBLOCK | O_NOFOLLOW | O_NOCTTY;
  const fh = st.isDirectory()
    ? await fs.promises.open(p, O_RDONLY | O_DIRECTORY | flags).catch(() => null)
    : await fs.promises
        .open(p, O_WRONLY | flags)
        .catch(() => fs.promises.open(p, O_RDONLY | flags))
        .catch(() => null);
  if (!fh) return false;
  try {
    const now = await fh.stat();
    if (now.ino !== st.ino) return false;
    if (st.isFile() && mode & 0o6000) return true;
    return await fh.chmod(mode & 0o7777).then(
      () => true,
      () => true,
    );
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Touches what watchers in the VM watch; eight at a time. An empty batch only refreshes the scan. */
export async function applyFileChanges(changes: FileChange[], watched?: Set<number>): Promise<FileChangesResult> {
  const r: FileChangesResult = { poked: 0, unwatched: 0, failed: 0 };
  const isHit = (w: Set<number>, c: FileChange): boolean =>
    c.deleted ? w.has(c.parent_ino) : w.has(c.ino) || w.has(c.parent_ino);
  let work: FileChange[];
  if (watched) {
    work = changes.filter((c) => isHit(watched, c));
  } else {
    const fresh = scanned !== null && Date.now() - scanned.at <= FRESH_MS;
    if (!fresh && changes.length <= OPTIMISTIC_MAX) {
      // A few paths and no recent scan: touching them costs less than a scan would (and the
      // first change after a watcher starts must not wait for one); scan in the background.
      work = changes;
      void rescan();
    } else {
      if (!fresh) await rescan();
      work = changes.filter((c) => isHit(scanned!.set, c));
    }
  }
  r.unwatched = changes.length - work.length;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length) {
      const c = work[next++]!;
      const ok = c.deleted
        ? await touch(path.dirname(c.path), c.mode, c.parent_ino)
        : await touch(c.path, c.mode, c.ino);
      if (ok) r.poked++;
      else r.failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, work.length) }, worker));
  return r;
}
