// Which QEMU runs the VM, and a QEMU 10 for hosts whose own is older. Debian bookworm ships
// QEMU 7.2; under TCG, QEMU 10 switches image stores about twice as fast (measured), and Debian's
// bookworm-backports carries QEMU 10 built for bookworm. Its packages are unpacked into Berth's
// cache (downloads, beside the images: locate.ts) with apt-get under a private, temporary
// configuration that names only the host's own Debian mirror: the user's apt sources, lists and
// installed packages are never changed. What is needed beyond bookworm: qemu-system-x86,
// -common and -data, and seabios (QEMU 10 depends on seabios >> 1.16.3-1~; bookworm has 1.16.2);
// every library it links and ipxe-qemu are the versions bookworm's QEMU 7.2 already depends on.
// Debian's QEMU looks for firmware in absolute paths (/usr/share/qemu, /usr/share/seabios), so the
// unpacked binary is given its own with -L (firmwareArgs); nothing else differs.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { downloadsDir } from '../image/locate.ts';
import { qemuVersion } from './vm-files.ts';
import { BACKPORTS_SUITE, run, withPrivateApt } from './private-apt.ts';

/** The oldest QEMU worth bundling: below it the system's QEMU is replaced where possible. */
export const QEMU_MIN_MAJOR = 10;
/** The packages it takes from the base release's backports. */
export const BACKPORTS_PACKAGES = ['qemu-system-x86', 'qemu-system-common', 'qemu-system-data', 'seabios'] as const;
/** Written last into a bundled tree: its presence means the tree is whole. */
export const MANIFEST = 'berth-qemu.json';

export interface BundledQemu {
  dir: string;
  binary: string;
  /** Upstream version ("10.0.2"). */
  version: string;
  /** Debian's version of qemu-system-x86 ("1:10.0.2+ds-2+deb13u1~bpo12+1"). */
  debianVersion: string;
  suite: string;
  packages: Array<{ name: string; version: string; bytes: number }>;
}

export interface QemuChoice {
  binary: string;
  version?: string;
  source: 'BERTH_QEMU' | 'bundled' | 'system';
  /** One line for `berth status` and diagnostics. */
  reason: string;
}

/** "1:10.0.2+ds-2~bpo12+1" or "10.0.2" -> [10, 0, 2]; [] when it has no leading number. */
export function versionParts(v: string): number[] {
  const m = v.replace(/^\d+:/, '').match(/^\d+(?:\.\d+)*/);
  return m ? m[0].split('.').map(Number) : [];
}

export function compareVersions(a: string, b: string): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export function systemQemuBinary(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'qemu-system-x86_64.exe' : 'qemu-system-x86_64';
}

/**
 * The firmware directories of a QEMU unpacked from Debian's packages (`<root>/usr/bin/qemu-…`
 * with `<root>/usr/share/qemu` beside it, root not /): Debian's QEMU searches absolute paths,
 * which would be the system QEMU's (older) firmware. Empty for any other binary.
 */
export function firmwareDirs(binary: string): string[] {
  if (!path.isAbsolute(binary)) return [];
  const usr = path.dirname(path.dirname(binary));
  if (
    path.basename(path.dirname(binary)) !== 'bin' ||
    path.basename(usr) !== 'usr' ||
    path.dirname(usr) === path.parse(usr).root
  )
    return [];
  const dirs = ['qemu', 'seabios'].map((d) => path.join(usr, 'share', d));
  return fs.existsSync(dirs[0]!) ? dirs.filter((d) => fs.existsSync(d)) : [];
}

/** QEMU's -L arguments for that binary (none for a system install). */
export function firmwareArgs(binary: string): string[] {
  return firmwareDirs(binary).flatMap((d) => ['-L', d]);
}

/** A whole bundled tree in this directory, or null. */
export function readBundled(dir: string): BundledQemu | null {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Omit<BundledQemu, 'dir' | 'binary'>;
    const binary = path.join(dir, 'usr', 'bin', 'qemu-system-x86_64');
    if (typeof m.version !== 'string' || !fs.existsSync(binary)) return null;
    return { ...m, dir, binary };
  } catch {
    return null;
  }
}

/** The newest bundled QEMU ≥ 10 in the downloads cache, or null. */
export function cachedQemu(downloads = downloadsDir()): BundledQemu | null {
  let names: string[];
  try {
    names = fs.readdirSync(downloads);
  } catch {
    return null;
  }
  const found = names
    .filter((n) => /^qemu-\d+(\.\d+)*$/.test(n))
    .map((n) => readBundled(path.join(downloads, n)))
    .filter((b): b is BundledQemu => b !== null && (versionParts(b.version)[0] ?? 0) >= QEMU_MIN_MAJOR)
    .sort((a, b) => compareVersions(b.version, a.version));
  return found[0] ?? null;
}

export interface QemuInputs {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  bundled: () => BundledQemu | null;
  versionOf: (binary: string) => string | undefined;
}

/**
 * BERTH_QEMU wins; else the bundled QEMU ≥ 10 when there is one and the system's is older (or
 * missing); else the system's qemu-system-x86_64.
 */
export function chooseQemu(i: QemuInputs): QemuChoice {
  if (i.env.BERTH_QEMU)
    return {
      binary: i.env.BERTH_QEMU,
      version: i.versionOf(i.env.BERTH_QEMU),
      source: 'BERTH_QEMU',
      reason: 'BERTH_QEMU',
    };
  const system = systemQemuBinary(i.platform);
  const sys = i.versionOf(system);
  const b = i.bundled();
  if (b && (sys === undefined || compareVersions(sys, b.version) < 0)) {
    const why = sys === undefined ? 'no system QEMU' : `system QEMU ${sys} is older`;
    return {
      binary: b.binary,
      version: b.version,
      source: 'bundled',
      reason: `bundled QEMU ${b.version} from ${b.suite} (${why})`,
    };
  }
  const why = b
    ? ` (not older than the bundled ${b.version})`
    : sys && (versionParts(sys)[0] ?? 0) < QEMU_MIN_MAJOR
      ? ` (no bundled QEMU ${QEMU_MIN_MAJOR} in the cache)`
      : '';
  return { binary: system, version: sys, source: 'system', reason: `system QEMU${why}` };
}

export function selectQemu(env = process.env, platform: NodeJS.Platform = process.platform): QemuChoice {
  return chooseQemu({ env, platform, bundled: () => cachedQemu(downloadsDir(platform, env)), versionOf: qemuVersion });
}

// ---- Fetching --------------------------------------------------------------------------------

export interface FetchOptions {
  downloads?: string;
  etcApt?: string;
  /** Called once the version to unpack is known, before the download. */
  onVersion?: (version: string, dir: string) => void;
}

/**
 * Downloads QEMU from bookworm-backports through a private apt configuration and unpacks it into
 * `<downloads>/qemu-<version>/` (checked by running it); returns the cached one when present.
 */
export function fetchBackportsQemu(o: FetchOptions = {}): BundledQemu {
  const downloads = o.downloads ?? downloadsDir();
  const have = cachedQemu(downloads);
  if (have) return have;
  return withPrivateApt({ etcApt: o.etcApt }, ({ opts, work, mirror }) => {
    const madison = run('apt-cache', [...opts, 'madison', 'qemu-system-x86']);
    const line = madison.split('\n').find((l) => l.includes(` ${BACKPORTS_SUITE}/`));
    const debianVersion = line?.split('|')[1]?.trim();
    if (!debianVersion) throw new Error(`${BACKPORTS_SUITE} has no qemu-system-x86 at ${mirror.uri}`);
    const version = versionParts(debianVersion).join('.');
    if ((versionParts(version)[0] ?? 0) < QEMU_MIN_MAJOR)
      throw new Error(`${BACKPORTS_SUITE} has QEMU ${version}, older than ${QEMU_MIN_MAJOR}`);
    const dir = path.join(downloads, `qemu-${version}`);
    o.onVersion?.(version, dir);
    const debsDir = path.join(work, 'debs');
    run('apt-get', [...opts, '-qq', 'download', ...BACKPORTS_PACKAGES.map((p) => `${p}/${BACKPORTS_SUITE}`)], debsDir);
    fs.mkdirSync(downloads, { recursive: true });
    const tmp = `${dir}.partial-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const bundled: BundledQemu = {
      dir,
      binary: path.join(dir, 'usr', 'bin', 'qemu-system-x86_64'),
      version,
      debianVersion,
      suite: BACKPORTS_SUITE,
      packages: [],
    };
    try {
      for (const deb of fs
        .readdirSync(debsDir)
        .filter((f) => f.endsWith('.deb'))
        .sort()) {
        const file = path.join(debsDir, deb);
        const [name, ver] = run('dpkg-deb', ['-f', file, 'Package', 'Version'])
          .trim()
          .split('\n')
          .map((l) => l.replace(/^\w+:\s*/, ''));
        bundled.packages.push({ name: name!, version: ver!, bytes: fs.statSync(file).size });
        run('dpkg-deb', ['-x', file, tmp]);
      }
      for (const d of ['usr/share/doc', 'usr/share/man'])
        fs.rmSync(path.join(tmp, d), { recursive: true, force: true });
      const bin = path.join(tmp, 'usr', 'bin', 'qemu-system-x86_64');
      if (qemuVersion(bin) !== version) {
        const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
        throw new Error(`the unpacked QEMU does not run: ${(r.stderr || r.error?.message || r.stdout).trim()}`);
      }
      const { dir: _d, binary: _b, ...manifest } = bundled;
      fs.writeFileSync(
        path.join(tmp, MANIFEST),
        `${JSON.stringify({ ...manifest, mirror: mirror.uri, fetchedAt: new Date().toISOString() }, null, 2)}\n`,
      );
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return bundled;
  });
}
