// Host folders shared into the VM at the same path over virtiofs: one virtiofsd (QEMU's
// vhost-user file server) per folder, started before QEMU; the guest mounts each tag at its path
// (berth-init reads the list from fw_cfg opt/berth/shares). Where no virtiofsd exists (macOS,
// Windows) or it cannot start, the VM boots without sharing and the status says why.
//
// Ownership: virtiofsd creates files as the guest's caller. A container runs as root, so a
// virtiofsd running as root would leave root-owned files in the user's folders. Unless Berth
// itself runs as root for root, virtiofsd runs as the owning user inside a user namespace that
// maps that user to uid 0: guest root writes files owned by the user, and the user's files look
// root-owned (writable) to containers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileSharingStatus } from './engine-types.ts';
import type { SharedFolders } from './vm-driver.ts';
import { cachedVirtiofsd, SYSTEM_RUST_VIRTIOFSD, WRAPPER as VIRTIOFSD_WRAPPER } from './virtiofsd-runtime.ts';

export interface Share {
  tag: string;
  hostPath: string;
}
export interface SharePlan {
  shares: Share[];
  skipped: Array<{ path: string; reason: string }>;
}
export interface Owner {
  uid: number;
  gid: number;
}
export type VirtiofsdFlavor = 'c' | 'rust';

const MAX_SHARES = 16;

/**
 * Why a folder cannot be served, or null. A virtiofsd that cannot open its folder exits only once
 * QEMU connects, which fails the whole boot: so Berth running as root for another user checks the
 * folder as that user (as the daemon will run: no supplementary groups) before offering it.
 */
export function folderProblem(p: string, owner?: Owner, selfUid = process.getuid?.() ?? 0): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 'does not exist or is not a folder';
  }
  if (!st.isDirectory()) return 'does not exist or is not a folder';
  if (owner && selfUid === 0 && owner.uid !== 0) {
    if (!ownerPasses(owner, ['-r', p, '-a', '-x', p])) return `uid ${owner.uid} (the share's owner) cannot open it`;
  } else {
    try {
      fs.accessSync(p, fs.constants.R_OK | fs.constants.X_OK);
    } catch {
      return 'this user cannot open it';
    }
  }
  return null;
}

/** `test ARGS` as the owner, as its virtiofsd runs (no supplementary groups). */
function ownerPasses(owner: Owner, testArgs: string[]): boolean {
  const r = spawnSync(
    'setpriv',
    [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--', 'test', ...testArgs],
    { stdio: 'ignore', timeout: 5000 },
  );
  return r.status === 0;
}

/** child is parent or inside it. */
export function within(child: string, parent: string): boolean {
  return parent === '/' || child === parent || child.startsWith(`${parent}/`);
}

/** Which folders get a share: existing directories, deduplicated, none inside another. */
export function planShares(
  folders: string[],
  problem: (p: string) => string | null = (p) => folderProblem(p),
): SharePlan {
  const skipped: SharePlan['skipped'] = [];
  const unique = [...new Set(folders.map((f) => path.resolve(f).replace(/\/+$/, '') || '/'))];
  const kept: string[] = [];
  for (const p of unique.sort((a, b) => a.length - b.length)) {
    const parent = kept.find((k) => within(p, k));
    const reason = parent
      ? `already shared as part of ${parent}`
      : kept.length >= MAX_SHARES
        ? `more than ${MAX_SHARES} shared folders`
        : problem(p);
    if (reason) skipped.push({ path: p, reason });
    else kept.push(p);
  }
  return { shares: kept.map((hostPath, i) => ({ tag: `berth${i}`, hostPath })), skipped };
}

/** The fw_cfg file berth-init reads: "tag<TAB>path" per line. */
export function sharesFileText(shares: Share[]): string {
  return shares.map((s) => `${s.tag}\t${s.hostPath}\n`).join('');
}

/**
 * BERTH_VIRTIOFSD, else a Rust virtiofsd: the system's (Debian trixie and later, Fedora), then the
 * one set-up unpacked into the cache (virtiofsd-runtime.ts); QEMU's C one (bookworm) last.
 */
export function findVirtiofsd(
  env = process.env,
  platform = process.platform,
  exists: (p: string) => boolean = fs.existsSync,
  bundled: () => string | null = () => {
    const b = cachedVirtiofsd();
    return b ? path.join(b.dir, VIRTIOFSD_WRAPPER) : null;
  },
): string | null {
  if (env.BERTH_VIRTIOFSD) return exists(env.BERTH_VIRTIOFSD) ? env.BERTH_VIRTIOFSD : null;
  if (platform !== 'linux') return null;
  if (exists(SYSTEM_RUST_VIRTIOFSD)) return SYSTEM_RUST_VIRTIOFSD;
  return bundled() ?? ['/usr/lib/qemu/virtiofsd', '/usr/lib/virtiofsd'].find((p) => exists(p)) ?? null;
}

/** QEMU's C virtiofsd (-o source=) or the Rust one (--shared-dir), told apart by their help. */
export function virtiofsdFlavor(binary: string): VirtiofsdFlavor {
  const r = spawnSync(binary, ['--help'], { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.includes('--shared-dir') ? 'rust' : 'c';
}

/** BERTH_SHARE_OWNER=uid:gid: whose files shared-folder writes become when Berth runs as root. */
export function shareOwner(env = process.env, uid = process.getuid?.() ?? 0, gid = process.getgid?.() ?? 0): Owner {
  const want = env.BERTH_SHARE_OWNER;
  if (!want || uid !== 0) return { uid, gid };
  const m = /^(\d+):(\d+)$/.exec(want);
  if (!m) throw new Error(`BERTH_SHARE_OWNER must be uid:gid (numbers), got ${JSON.stringify(want)}`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

// The C virtiofsd keeps a lock file under /var/run/virtiofsd, which only root may create: in
// its private mount namespace it gets a tmpfs there (or over /run when the directory is absent).
const USERNS_SCRIPT =
  'mount -t tmpfs -o mode=0700 berth /var/run/virtiofsd 2>/dev/null || mount -t tmpfs -o mode=0700 berth /run || exit 1; exec "$@"';

/**
 * How a virtiofsd serves its share (what e2e/bench/file-sharing-bench.ts compares). cache: how long
 * the guest may trust what it cached (auto: names and attributes 1 s, file data until an open sees
 * a change; always: a day; none: nothing); writeback: the guest's page cache holds writes and
 * sends them in larger requests (a write reaches the host on fsync/sync or close); threadPoolSize:
 * worker threads (0: the virtqueue's thread serves every request itself); timeout: the C daemon's
 * entry/attribute timeout in seconds, overriding the cache mode's.
 */
export interface VirtiofsdTuning {
  cache: 'auto' | 'always' | 'none';
  writeback: boolean;
  threadPoolSize?: number;
  timeout?: number;
  announceSubmounts: boolean;
  /** READDIRPLUS (names with their attributes in one reply); the daemon's default is on. */
  readdirplus?: boolean;
}

/** What Berth runs with, chosen by the file-sharing bench (see the README's shared folders). */
export const DEFAULT_TUNING: VirtiofsdTuning = { cache: 'auto', writeback: false, announceSubmounts: true };

/**
 * BERTH_VIRTIOFSD_TUNING: a JSON object from host path (or "*") to a partial tuning, for the bench
 * to serve several shares of one VM differently. Unset: DEFAULT_TUNING.
 */
export function tuningFor(hostPath: string, env: NodeJS.ProcessEnv = process.env): VirtiofsdTuning {
  const text = env.BERTH_VIRTIOFSD_TUNING;
  if (!text) return { ...DEFAULT_TUNING };
  let table: Record<string, Partial<VirtiofsdTuning>>;
  try {
    table = JSON.parse(text) as Record<string, Partial<VirtiofsdTuning>>;
  } catch {
    throw new Error('BERTH_VIRTIOFSD_TUNING is not JSON');
  }
  const mine = table[hostPath] ?? table['*'] ?? {};
  const t = { ...DEFAULT_TUNING, ...mine };
  if (!['auto', 'always', 'none'].includes(t.cache))
    throw new Error(`BERTH_VIRTIOFSD_TUNING: cache must be auto, always or none, got ${JSON.stringify(t.cache)}`);
  return t;
}

/** The daemon's own options for a tuning, in its flavor's syntax. */
export function tuningArgs(flavor: VirtiofsdFlavor, t: VirtiofsdTuning): string[] {
  if (flavor === 'rust') {
    return [
      `--cache=${t.cache === 'none' ? 'never' : t.cache}`,
      ...(t.writeback ? ['--writeback'] : []),
      ...(t.threadPoolSize !== undefined ? [`--thread-pool-size=${t.threadPoolSize}`] : []),
      ...(t.announceSubmounts ? ['--announce-submounts'] : []),
      ...(t.readdirplus === false ? ['--no-readdirplus'] : []),
    ];
  }
  return [
    '-o',
    `cache=${t.cache}`,
    ...(t.writeback ? ['-o', 'writeback'] : []),
    ...(t.timeout !== undefined ? ['-o', `timeout=${t.timeout}`] : []),
    ...(t.threadPoolSize !== undefined ? [`--thread-pool-size=${t.threadPoolSize}`] : []),
    ...(t.announceSubmounts ? ['-o', 'announce_submounts'] : []),
    ...(t.readdirplus === false ? ['-o', 'no_readdirplus'] : []),
  ];
}

/** The command line for one daemon, run as `owner` (see the top of this file). */
export function virtiofsdCommand(o: {
  binary: string;
  flavor: VirtiofsdFlavor;
  socket: string;
  source: string;
  selfUid: number;
  owner: Owner;
  tuning?: VirtiofsdTuning;
}): { command: string; args: string[] } {
  const asRoot = o.selfUid === 0 && o.owner.uid === 0;
  const tuning = tuningArgs(o.flavor, o.tuning ?? DEFAULT_TUNING);
  const daemon =
    o.flavor === 'rust'
      ? [
          o.binary,
          `--socket-path=${o.socket}`,
          `--shared-dir=${o.source}`,
          ...tuning,
          `--sandbox=${asRoot ? 'namespace' : 'chroot'}`,
        ]
      : [
          o.binary,
          `--socket-path=${o.socket}`,
          '-o',
          `source=${o.source}`,
          ...tuning,
          '-o',
          'sandbox=namespace',
          ...(asRoot ? [] : ['--rlimit-nofile=0']),
        ];
  if (asRoot) return { command: daemon[0]!, args: daemon.slice(1) };
  const userns = ['unshare', '--user', '--map-root-user', '--mount', '--', 'sh', '-c', USERNS_SCRIPT, 'sh', ...daemon];
  const argv =
    o.selfUid === 0
      ? ['setpriv', `--reuid=${o.owner.uid}`, `--regid=${o.owner.gid}`, '--clear-groups', '--', ...userns]
      : userns;
  return { command: argv[0]!, args: argv.slice(1) };
}

/** Mount points of virtiofs file systems in a /proc/mounts text (octal escapes decoded). */
export function virtiofsMounts(procMounts: string): string[] {
  return procMounts
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'virtiofs' && f[1])
    .map((f) => f[1]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export interface FileSharingOptions {
  folders: string[];
  runDir: string;
  logsDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** The daemons of one VM boot. */
export class FileSharing {
  private constructor(
    private readonly children: ChildProcess[],
    private readonly folders: SharedFolders,
    private st: FileSharingStatus,
    private readonly dirs: string[],
    private readonly wanted: Share[],
  ) {}

  static none(message: string): FileSharing {
    return new FileSharing([], { devices: [] }, { mechanism: 'none', shared: [], message }, [], []);
  }

  /** Starts one virtiofsd per folder. Never throws: any failure means a VM without sharing. */
  static async start(o: FileSharingOptions): Promise<FileSharing> {
    const log = o.log ?? (() => {});
    const dir = path.join(o.runDir, 'fs');
    stopStaleDaemons(dir);
    if (!o.folders.length) return FileSharing.none('no folders configured (setting fileSharing)');
    let owner: Owner;
    try {
      owner = shareOwner(o.env);
    } catch (e) {
      return FileSharing.none(`file sharing disabled: ${(e as Error).message}`);
    }
    const plan = planShares(o.folders, (p) => folderProblem(p, owner));
    for (const s of plan.skipped) log(`file sharing: ${s.path} not shared: ${s.reason}`);
    const skippedText = plan.skipped.map((s) => `${s.path}: ${s.reason}`).join('; ');
    if (!plan.shares.length) return FileSharing.none(`nothing to share (${skippedText})`);
    let binary = findVirtiofsd(o.env);
    if (!binary) {
      return FileSharing.none(
        process.platform === 'linux'
          ? 'virtiofsd not found (Debian: apt-get install qemu-system-common, or set BERTH_VIRTIOFSD): host folders are not shared into the VM'
          : `no virtiofsd on ${process.platform}: host folders are not shared into the VM (bind mounts see the VM's own folders)`,
      );
    }
    const children: ChildProcess[] = [];
    const dirs = [dir];
    try {
      const selfUid = process.getuid?.() ?? 0;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { mode: 0o700 });
      // The daemons create their sockets. Root sharing on behalf of another user: that user
      // cannot enter the root-only data dir, so the sockets go in a private folder it owns.
      let sockDir = dir;
      if (selfUid === 0 && owner.uid !== 0) {
        sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-fs-'));
        fs.chownSync(sockDir, owner.uid, owner.gid);
        dirs.push(sockDir);
        // A daemon in root's cache (the bundled Rust one) is out of the owner's reach: its
        // payload (wrapper, daemon, libraries) is copied beside the sockets for this boot.
        if (!ownerPasses(owner, ['-x', binary])) {
          const copy = path.join(sockDir, 'daemon');
          fs.cpSync(path.dirname(binary), copy, { recursive: true });
          fs.chmodSync(copy, 0o755);
          binary = path.join(copy, path.basename(binary));
        }
      }
      const flavor = virtiofsdFlavor(binary);
      const logFd = fs.openSync(path.join(o.logsDir, 'virtiofsd.log'), 'a', 0o600);
      const withSockets = plan.shares.map((s) => ({ ...s, socket: path.join(sockDir, `${s.tag}.sock`) }));
      try {
        for (const s of withSockets) {
          const tuning = tuningFor(s.hostPath, o.env);
          const cmd = virtiofsdCommand({
            binary,
            flavor,
            socket: s.socket,
            source: s.hostPath,
            selfUid,
            owner,
            tuning,
          });
          if (o.env?.BERTH_VIRTIOFSD_TUNING ?? process.env.BERTH_VIRTIOFSD_TUNING)
            log(`file sharing: ${s.hostPath}: ${tuningArgs(flavor, tuning).join(' ')}`);
          const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', logFd, logFd], detached: false });
          children.push(child);
          await waitForSocket(child, s.socket, path.join(o.logsDir, 'virtiofsd.log'));
          try {
            fs.chmodSync(s.socket, 0o600);
          } catch {
            /* owned by the share owner: its 0700 directory guards it */
          }
        }
      } finally {
        fs.closeSync(logFd);
      }
      fs.writeFileSync(path.join(dir, 'pids'), children.map((c) => c.pid).join('\n'));
      fs.writeFileSync(path.join(dir, 'sockdir'), sockDir);
      const sharesFile = path.join(dir, 'shares');
      fs.writeFileSync(sharesFile, sharesFileText(plan.shares), { mode: 0o600 });
      for (const c of children)
        c.on('exit', (code, sig) => log(`file sharing: virtiofsd ${c.pid} exited (${code ?? sig})`));
      log(`file sharing: virtiofs for ${plan.shares.map((s) => s.hostPath).join(', ')} (owner uid ${owner.uid})`);
      return new FileSharing(
        children,
        { devices: withSockets, listFile: sharesFile },
        {
          mechanism: 'virtiofs',
          shared: plan.shares.map((s) => s.hostPath),
          ...(skippedText ? { message: `not shared: ${skippedText}` } : {}),
        },
        dirs,
        plan.shares,
      );
    } catch (e) {
      for (const c of children) c.kill('SIGKILL');
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
      const message = `file sharing disabled: ${(e as Error).message}`;
      log(message);
      return FileSharing.none(message);
    }
  }

  /** What the VM is given: each share's device (its daemon's socket) and the guest's mount list. */
  devices(): SharedFolders {
    return structuredClone(this.folders);
  }
  status(): FileSharingStatus {
    return structuredClone(this.st);
  }

  /** Records which shares the guest really mounted (from its /proc/mounts). */
  verify(procMounts: string): FileSharingStatus {
    if (this.st.mechanism !== 'virtiofs') return this.status();
    const mounted = new Set(virtiofsMounts(procMounts));
    const missing = this.wanted.filter((s) => !mounted.has(s.hostPath)).map((s) => s.hostPath);
    const shared = this.wanted.filter((s) => mounted.has(s.hostPath)).map((s) => s.hostPath);
    const notes = [
      this.st.message,
      missing.length ? `not mounted in the VM: ${missing.join(', ')} (see the VM console log)` : undefined,
    ].filter(Boolean);
    this.st = {
      mechanism: shared.length ? 'virtiofs' : 'none',
      shared,
      ...(notes.length ? { message: notes.join('; ') } : {}),
    };
    return this.status();
  }

  stop(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** A daemon is ready when its socket exists; an exit first is a failure with its log's tail. */
async function waitForSocket(child: ChildProcess, socket: string, logFile: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let spawnError: Error | null = null;
  child.once('error', (e) => {
    spawnError = e;
  });
  for (;;) {
    if (fs.existsSync(socket)) return;
    const failed =
      spawnError ??
      (child.exitCode !== null || child.signalCode !== null
        ? new Error(`exited (${child.exitCode ?? child.signalCode})`)
        : null);
    if (failed || Date.now() > until) {
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-2).join(' / ');
      throw new Error(
        `virtiofsd did not start: ${(failed ?? new Error('no socket after 10 s')).message}${tail ? ` (${tail})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Daemons (and a socket folder) left by a host process that died: they hold their sockets' locks. */
function stopStaleDaemons(dir: string): void {
  const read = (f: string): string => {
    try {
      return fs.readFileSync(path.join(dir, f), 'utf8');
    } catch {
      return '';
    }
  };
  const sockDir = read('sockdir').trim();
  for (const pid of read('pids')
    .split('\n')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1)) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes('virtiofsd') && sockDir && cmd.includes(sockDir)) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (sockDir && sockDir !== dir && path.basename(sockDir).startsWith('berth-fs-'))
    fs.rmSync(sockDir, { recursive: true, force: true });
}
