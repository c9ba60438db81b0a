// File-sharing benchmark: prints numbers, asserts nothing. One VM, one container; the same
// workloads on a named volume (the VM's own disk) and on bind mounts of host folders, each folder
// served by a virtiofsd with other options (BERTH_VIRTIOFSD_TUNING, see file-sharing.ts), each
// printed as the ratio bind ÷ volume (1.00: as fast as the VM's disk; higher is better). Caches
// are dropped in the VM before each read. The same run checks coherence per option set: a host
// edit read by the container after 1 s, a container write on the host when its `sync` returns.
//   BERTH_BENCH_FS_ONLY=default   measure only the options Berth runs with (faster)
//   BERTH_BENCH_FS_CANDIDATES     a JSON list of {name, tuning, guest} option sets instead of the built-in ones
//   BERTH_BENCH_FS_PART=watch|vm  only the host's watch cost, or only the VM part
//   BERTH_BENCH_FS_WORKLOADS      a ';'-separated subset of the workloads ('read 64 MiB;create 2,000 files')
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';
import { DEFAULT_TUNING, type VirtiofsdTuning } from '../../engine/host/file-sharing.ts';
import { ShareEvents } from '../../engine/host/share-events.ts';
import { BUSYBOX } from '../../test/helpers/scratch-image.ts';
import { inotifyWatcherElf, parseEvents } from '../../test/helpers/inotify-watcher.ts';
import { berthPath } from '../../engine/shared/berth-root.ts';

const execFileP = promisify(execFile);

/** Guest-side settings of one mount (its FUSE connection's backing device and queue). */
export interface GuestTuning {
  readAheadKb?: number;
  maxBackground?: number;
}
interface Candidate {
  name: string;
  tuning: Partial<VirtiofsdTuning>;
  guest?: GuestTuning;
}

/**
 * The option sets compared; the first is what Berth runs with. BERTH_BENCH_FS_CANDIDATES (a JSON
 * list of {name, tuning, guest}) replaces them. Not here by default: --thread-pool-size (QEMU
 * 7.2's C virtiofsd, the one bookworm has, is killed by its own seccomp filter under parallel
 * load; QEMU 10 ships no virtiofsd) and cache=always with a day's timeout (a host edit is not
 * seen: see the coherence lines when it is asked for).
 */
const DEFAULT_CANDIDATES: Candidate[] = [
  { name: 'default', tuning: {} },
  { name: "auto, the kernel's read-ahead (128 KiB)", tuning: { cache: 'auto' }, guest: { readAheadKb: 128 } },
  { name: 'auto, no announce_submounts', tuning: { cache: 'auto', announceSubmounts: false } },
  { name: 'auto, no readdirplus', tuning: { cache: 'auto', readdirplus: false } },
  { name: 'auto+writeback', tuning: { cache: 'auto', writeback: true } },
  { name: 'always, timeout=1', tuning: { cache: 'always', writeback: false, timeout: 1 } },
];

function candidates(): Candidate[] {
  const text = process.env.BERTH_BENCH_FS_CANDIDATES;
  const all = text ? (JSON.parse(text) as Candidate[]) : DEFAULT_CANDIDATES;
  const only = process.env.BERTH_BENCH_FS_ONLY;
  return only ? all.filter((c) => c.name === only) : all;
}

/** A shell script that applies a guest tuning to the virtiofs mount at `dir` (as root in the VM). */
export function guestTuningScript(dir: string, g: GuestTuning): string {
  const dev = `d=$(mountpoint -d '${dir}') || exit 1`;
  const ra = g.readAheadKb !== undefined ? `echo ${g.readAheadKb} > /sys/class/bdi/$d/read_ahead_kb` : 'true';
  const bg =
    g.maxBackground !== undefined
      ? `{ mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections; }; echo ${g.maxBackground} > /sys/fs/fuse/connections/\${d#*:}/max_background`
      : 'true';
  return `${dev}; ${ra} && ${bg}`;
}

const WORKLOADS = [
  'write 64 MiB + fsync',
  'read 64 MiB',
  'create 2,000 files',
  'stat 2,000 files',
  'read 2,000 files',
  'delete 2,000 files',
  'unpack tree',
  'git status',
] as const;
type Workload = (typeof WORKLOADS)[number];

/**
 * A shell function timing its arguments in the container, in ms (the kernel's uptime: 10 ms steps);
 * it prints to stdout, so output to discard is redirected inside a `sh -c`.
 */
const TIMER =
  't() { read a _ < /proc/uptime; "$@" || exit 1; read b _ < /proc/uptime; echo $(( (${b%.*}${b#*.} - ${a%.*}${a#*.}) * 10 )); };';

/** A tarball of a real source tree: whole small packages of this project's node_modules, ~3,000 files. */
function makeTree(dir: string): { tar: string; files: number; mb: number } {
  const nm = berthPath('node_modules');
  const picked: string[] = [];
  let files = 0;
  let bytes = 0;
  for (const name of fs.readdirSync(nm).sort()) {
    if (name.startsWith('.') || files >= 3000) continue;
    const list = fs
      .readdirSync(path.join(nm, name), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile());
    const size = list.reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
    // Source-like packages: many small files, not a few large binaries.
    if (list.length > 1500 || size > 4e6 || size / Math.max(list.length, 1) > 40_000) continue;
    picked.push(name);
    files += list.length;
    bytes += size;
  }
  const tar = path.join(dir, 'tree.tar');
  execFileSync('tar', ['-cf', tar, '-C', nm, ...picked]);
  return { tar, files, mb: bytes / 1e6 };
}

/**
 * The host half of file events on a large tree (no VM): node_modules copied until it holds 20,000+
 * files; the walk, the memory its watches take, the host's CPU while idle, and edit → batch latency.
 */
export async function watchCost(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-watch-'));
  try {
    let files = 0;
    for (let i = 0; files < 20_000; i++) {
      execFileSync('cp', ['-r', berthPath('node_modules'), path.join(root, `copy${i}`)]);
      files = Number(execFileSync('sh', ['-c', `find ${root} -type f | wc -l`], { encoding: 'utf8' }).trim());
    }
    const dirs = Number(execFileSync('sh', ['-c', `find ${root} -type d | wc -l`], { encoding: 'utf8' }).trim());
    const arrived = new Map<string, number>();
    const mem0 = process.memoryUsage();
    // As a container start with the tree bind-mounted does it (nothing is watched before).
    const ev = new ShareEvents({
      roots: [],
      send: async (c) => {
        for (const x of c) arrived.set(x.path, performance.now());
      },
    });
    await ev.start();
    const st = await ev.setRoots([{ path: root, recursive: true }]);
    const mem1 = process.memoryUsage();
    const cpu0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 5000));
    const cpu = process.cpuUsage(cpu0);
    const lat: number[] = [];
    const target = path.join(root, 'copy0');
    for (let i = 0; i < 40; i++) {
      const f = path.join(target, `edit-${i}.js`);
      const t0 = performance.now();
      fs.writeFileSync(f, `${i}`);
      while (!arrived.has(f) && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 2));
      lat.push((arrived.get(f) ?? Infinity) - t0);
    }
    const t1 = performance.now();
    await ev.setRoots([]);
    const dropMs = performance.now() - t1;
    ev.stop();
    lat.sort((a, b) => a - b);
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    console.log(
      `watching a tree of ${files} files in ${dirs} folders (a container with it bind-mounted starts): ${st.watchedFolders} watches in ${st.walkMs} ms, +${mb(mem1.rss - mem0.rss)} MB RSS / +${mb(mem1.heapUsed - mem0.heapUsed)} MB JS heap of the host (the kernel's watches ~1 KiB each besides), idle CPU ${(((cpu.user + cpu.system) / 1000 / 5000) * 100).toFixed(1)} %; let go (the container stops) in ${dropMs.toFixed(0)} ms`,
    );
    console.log(
      `host edit → batch ready to send (coalescing 50 ms included): p50 ${lat[20]!.toFixed(0)} ms, p95 ${lat[37]!.toFixed(0)} ms`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export async function bench(): Promise<void> {
  if (process.env.BERTH_BENCH_FS_PART !== 'vm') await watchCost();
  const cands = candidates();
  // BERTH_BENCH_FS_WORKLOADS: a ';'-separated subset of WORKLOADS (a loaded host takes minutes per option set).
  const wanted = new Set<Workload>(
    process.env.BERTH_BENCH_FS_WORKLOADS
      ? WORKLOADS.filter((w) => process.env.BERTH_BENCH_FS_WORKLOADS?.split(';').includes(w))
      : WORKLOADS,
  );
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-fs-'));
  const shares = cands.map((_, i) => path.join(root, `share${i}`));
  for (const s of shares) fs.mkdirSync(s);
  const tuning: Record<string, Partial<VirtiofsdTuning>> = {};
  cands.forEach((c, i) => {
    tuning[shares[i]!] = c.tuning;
  });
  const before = process.env.BERTH_VIRTIOFSD_TUNING;
  process.env.BERTH_VIRTIOFSD_TUNING = JSON.stringify(tuning);
  const data = new DataDir(path.join(root, 'home'));
  const engine = new EngineController({ data, fileSharing: shares, log: () => {} });
  const env = { ...process.env, DOCKER_HOST: `unix://${data.dockerSocket}` };
  const docker = async (args: string[], timeoutMs = 900_000): Promise<string> =>
    (await execFileP('docker', args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 })).stdout;
  const name = `berth-fs-bench-${process.pid}`;
  try {
    const st = await engine.start();
    console.log(
      `accelerator: ${st.accelerator}; file sharing: ${st.fileSharing?.mechanism}${st.fileSharing?.message ? ` (${st.fileSharing.message})` : ''}`,
    );
    if (st.fileSharing?.mechanism !== 'virtiofs') {
      console.log('file sharing: not measured (no virtiofs on this host)');
      return;
    }
    const fuseOf = (dir: string): string =>
      `d=$(mountpoint -d '${dir}'); echo "read_ahead_kb $(cat /sys/class/bdi/$d/read_ahead_kb), max_background $(cat /sys/fs/fuse/connections/\${d#*:}/max_background 2>/dev/null || echo '?')"`;
    console.log(`guest defaults of a virtiofs mount: ${(await engine.guest.run(fuseOf(shares[0]!))).trim()}`);
    for (let i = 0; i < cands.length; i++) {
      const g = cands[i]!.guest;
      if (g)
        console.log(
          `guest tuning ${cands[i]!.name}: ${(await engine.guest.run(`${guestTuningScript(shares[i]!, g)} && ${fuseOf(shares[i]!)}`)).trim()}`,
        );
    }
    // The image: busybox and the tree's tarball (read from the VM's disk by both sides).
    const ctx = path.join(root, 'ctx');
    fs.mkdirSync(ctx);
    fs.copyFileSync(BUSYBOX, path.join(ctx, 'busybox'));
    fs.writeFileSync(path.join(ctx, 'watch'), inotifyWatcherElf(), { mode: 0o755 });
    const tree = makeTree(ctx);
    // The VM image has no git: the image gets the host's, with the libraries it links.
    const hasGit = copyGit(ctx);
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      `FROM scratch\nCOPY busybox /bin/busybox\nCOPY tree.tar /tree.tar\nCOPY watch /watch\n${hasGit ? 'COPY git/ /\n' : ''}RUN ["/bin/busybox", "--install", "-s", "/bin"]\nENTRYPOINT ["/bin/busybox"]\n`,
    );
    await docker(['build', '-q', '-t', name, ctx]);
    const mounts = shares.flatMap((s, i) => ['-v', `${s}:/b${i}`]);
    await docker(['run', '-d', '--name', name, '-v', `${name}:/vol`, ...mounts, name, 'sleep', '1000000']);
    const exec = async (script: string): Promise<string> =>
      (await docker(['exec', name, 'sh', '-c', `${TIMER} ${script}`])).trim();
    const dropCaches = (): Promise<unknown> => engine.guest.run('sync; echo 3 > /proc/sys/vm/drop_caches');
    // git status: a checkout of this project cloned on the host into the share, copied from
    // there onto the volume in the container.
    const repo = berthPath();
    const measure = async (dir: string, hostDir: string | null): Promise<Record<Workload, number>> => {
      const r = Object.fromEntries(WORKLOADS.map((w) => [w, NaN])) as Record<Workload, number>;
      const time = async (w: Workload, script: string): Promise<void> => {
        if (wanted.has(w)) r[w] = Number(await exec(script));
      };
      await time('write 64 MiB + fsync', `t dd if=/dev/zero of=${dir}/big bs=1M count=64 conv=fsync 2>/dev/null`);
      await dropCaches();
      await time('read 64 MiB', `t dd if=${dir}/big of=/dev/null bs=1M 2>/dev/null; rm -f ${dir}/big`);
      // The small files are made even when their creation is not timed: the next steps need them.
      const small = (
        ['create 2,000 files', 'stat 2,000 files', 'read 2,000 files', 'delete 2,000 files'] as const
      ).some((w) => wanted.has(w));
      if (small)
        await exec(
          `mkdir ${dir}/small && cd ${dir}/small && mk() { i=0; while [ $i -lt 2000 ]; do echo hello $i > f$i; i=$((i+1)); done; }; ${wanted.has('create 2,000 files') ? 't mk' : 'mk'}`,
        ).then((out) => {
          if (wanted.has('create 2,000 files')) r['create 2,000 files'] = Number(out);
        });
      if (small) await dropCaches();
      await time('stat 2,000 files', `t sh -c 'ls -ln ${dir}/small >/dev/null'`);
      if (small) await dropCaches();
      await time('read 2,000 files', `cd ${dir}/small && t sh -c 'cat f* >/dev/null'`);
      if (small)
        await exec(`${wanted.has('delete 2,000 files') ? 't ' : ''}rm -rf ${dir}/small`).then((out) => {
          if (wanted.has('delete 2,000 files')) r['delete 2,000 files'] = Number(out);
        });
      if (wanted.has('unpack tree')) await dropCaches();
      await time('unpack tree', `mkdir ${dir}/tree && t tar -xf /tree.tar -C ${dir}/tree; rm -rf ${dir}/tree`);
      if (hasGit && wanted.has('git status')) {
        if (hostDir) await execFileP('git', ['clone', '-q', '--no-hardlinks', repo, path.join(hostDir, 'repo')]);
        else await exec('cp -a /b0/repo-src /vol/repo');
        // The first status refreshes the index (a copy has new inode times); the second is timed, cold.
        await exec(`cd ${dir}/repo && ${GIT} status --porcelain >/dev/null`);
        await dropCaches();
        r['git status'] = Number(await exec(`cd ${dir}/repo && t sh -c '${GIT} status --porcelain >/dev/null'`));
        await exec(`rm -rf ${dir}/repo`);
      }
      return r;
    };
    if (hasGit && wanted.has('git status'))
      await execFileP('git', ['clone', '-q', '--no-hardlinks', repo, path.join(shares[0]!, 'repo-src')]);
    console.log(
      `tree: ${tree.files} files (${tree.mb.toFixed(1)} MB) of node_modules; git: ${hasGit ? "the host's, in the container (cold cache)" : 'no git on this host: git status row skipped'}`,
    );
    const raw = (what: string, r: Record<Workload, number>): void =>
      console.log(`  ${what}: ${WORKLOADS.map((w) => `${w} ${r[w]}`).join(', ')} (ms)`);
    const vol1 = await measure('/vol', null);
    raw('volume', vol1);
    const results: Array<Record<Workload, number>> = [];
    for (let i = 0; i < cands.length; i++) {
      results.push(await measure(`/b${i}`, shares[i]!));
      raw(`bind, ${cands[i]!.name}`, results[i]!);
    }
    const vol2 = await measure('/vol', null);
    raw('volume again', vol2);
    const vol = Object.fromEntries(WORKLOADS.map((w) => [w, (vol1[w] + vol2[w]) / 2])) as Record<Workload, number>;
    const ms = (n: number): string => (Number.isNaN(n) ? 'skipped' : `${n} ms`);
    console.log(
      `| workload | volume (ms, two runs) | ${cands.map((c) => (c.name === 'default' ? `bind: ${describe(DEFAULT_TUNING)} (today)` : `bind: ${c.name}`)).join(' | ')} |`,
    );
    console.log(`|---|---|${cands.map(() => '---').join('|')}|`);
    for (const w of WORKLOADS) {
      const cells = results.map((r) =>
        Number.isNaN(r[w]) ? 'skipped' : `${r[w]} ms → **${(vol[w] / Math.max(r[w], 10)).toFixed(2)}**`,
      );
      console.log(`| ${w} | ${ms(vol1[w])}, ${ms(vol2[w])} | ${cells.join(' | ')} |`);
    }
    console.log("(ratio = volume time ÷ bind time: 1.00 is the VM disk's speed; 10 ms is the timer's step)");
    // Coherence per option set.
    for (let i = 0; i < cands.length; i++) {
      const host = path.join(shares[i]!, 'coherent.txt');
      fs.writeFileSync(host, 'version-1\n');
      await exec(`cat /b${i}/coherent.txt >/dev/null; ls -l /b${i}/coherent.txt >/dev/null`);
      fs.writeFileSync(host, 'version-2\n');
      await new Promise((r) => setTimeout(r, 1000));
      const seen = await exec(`cat /b${i}/coherent.txt`);
      await exec(`echo from-container > /b${i}/written.txt && sync`);
      const onHost = fs.readFileSync(path.join(shares[i]!, 'written.txt'), 'utf8').trim();
      const owner = fs.statSync(path.join(shares[i]!, 'written.txt'));
      console.log(
        `coherence ${cands[i]!.name}: host edit seen after 1 s: ${seen === 'version-2' ? 'yes' : `NO (${seen})`}; container write on the host after sync: ${onHost === 'from-container' ? 'yes' : 'NO'}; owner ${owner.uid}:${owner.gid}`,
      );
    }
    // File events: a watcher in a container on the default share; host creates, edits, deletes.
    const watched = path.join(shares[0]!, 'watched');
    fs.mkdirSync(watched);
    const child = spawn(
      'docker',
      ['run', '--rm', '--name', `${name}-watch`, '-v', `${watched}:/w`, '--entrypoint', '/watch', name, '/w'],
      { env, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = Buffer.alloc(0);
    child.stdout.on('data', (d: Buffer) => {
      out = Buffer.concat([out, d]);
    });
    for (let i = 0; i < 600 && !parseEvents(out).ready; i++) await new Promise((r) => setTimeout(r, 100));
    const lat: number[] = [];
    for (let i = 0; i < 30; i++) {
      const f = path.join(watched, `f${i % 10}.js`);
      const from = parseEvents(out).events.length;
      const t0 = performance.now();
      if (i < 10) fs.writeFileSync(f, 'created');
      else if (i < 20) fs.writeFileSync(f, 'edited!');
      else fs.rmSync(f);
      const want = i < 20 ? path.basename(f) : '';
      while (
        !parseEvents(out)
          .events.slice(from)
          .some((e) => e.name === want) &&
        performance.now() - t0 < 5000
      )
        await new Promise((r) => setTimeout(r, 5));
      lat.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill();
    await docker(['rm', '-f', `${name}-watch`]).catch(() => '');
    const sorted = [...lat].sort((a, b) => a - b);
    console.log(
      `file events, host change → inotify event in a container (30: create, modify, delete): p50 ${sorted[15]!.toFixed(0)} ms, p95 ${sorted[28]!.toFixed(0)} ms, max ${sorted[29]!.toFixed(0)} ms`,
    );
  } finally {
    await docker(['rm', '-f', name]).catch(() => '');
    await docker(['volume', 'rm', '-f', name]).catch(() => '');
    await engine.stop().catch(() => undefined);
    if (before === undefined) delete process.env.BERTH_VIRTIOFSD_TUNING;
    else process.env.BERTH_VIRTIOFSD_TUNING = before;
    fs.rmSync(root, { recursive: true, force: true });
  }
}

// Inside sh -c '…': no quotes (no file in a checkout is named safe.directory=…).
const GIT = '/usr/bin/git -c safe.directory=*';

/** Copies /usr/bin/git and the libraries ldd names into ctx/git (same paths); false without git. */
function copyGit(ctx: string): boolean {
  let libs: string[];
  try {
    libs = [...execFileSync('ldd', ['/usr/bin/git'], { encoding: 'utf8' }).matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
  } catch {
    return false;
  }
  for (const f of ['/usr/bin/git', ...libs]) {
    const to = path.join(ctx, 'git', f);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(fs.realpathSync(f), to);
    fs.chmodSync(to, 0o755);
  }
  return true;
}

function describe(t: VirtiofsdTuning): string {
  return `cache=${t.cache}${t.writeback ? '+writeback' : ''}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  if (process.env.BERTH_BENCH_FS_PART === 'watch') await watchCost();
  else await bench();
}
