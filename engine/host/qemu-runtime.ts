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
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { downloadsDir } from '../image/locate.ts';
import { qemuVersion } from './vm-files.ts';

/** The oldest QEMU worth bundling: below it the system's QEMU is replaced where possible. */
export const QEMU_MIN_MAJOR = 10;
/** The Debian release whose backports carry it, and the packages it takes from there. */
export const BASE_SUITE = 'bookworm';
export const BACKPORTS_SUITE = `${BASE_SUITE}-backports`;
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

// ---- The host's apt sources ----------------------------------------------------------------

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** Signed-By as written (a keyring path, or an inline key in deb822). */
  signedBy?: string;
}

/** One-line sources ("deb [signed-by=…] URI suite comp…"); comments and deb-src skipped. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = line.match(/^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/);
    if (!m) continue;
    const signedBy = m[2]
      ?.split(/\s+/)
      .find((o) => o.startsWith('signed-by='))
      ?.slice('signed-by='.length);
    out.push({
      types: [m[1]!],
      uris: [m[3]!],
      suites: [m[4]!],
      components: m[5]!.split(/\s+/).filter(Boolean),
      ...(signedBy ? { signedBy } : {}),
    });
  }
  return out;
}

/** deb822 sources (.sources): paragraphs of fields, continuation lines kept, "Enabled: no" skipped. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let key = '';
    for (const line of para.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && key) {
        fields.set(key, `${fields.get(key)}\n${line.trim()}`);
        continue;
      }
      const m = line.match(/^([A-Za-z-]+):\s*(.*)$/);
      if (m) {
        key = m[1]!.toLowerCase();
        fields.set(key, m[2]!.trim());
      }
    }
    if (!fields.has('uris') || /^(no|false)$/i.test(fields.get('enabled') ?? '')) continue;
    const list = (k: string): string[] => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    const signedBy = fields.get('signed-by');
    out.push({
      types: list('types'),
      uris: list('uris'),
      suites: list('suites'),
      components: list('components'),
      ...(signedBy ? { signedBy } : {}),
    });
  }
  return out;
}

/** The host's apt source files: sources.list, then sources.list.d's *.list and *.sources. */
export function readAptSources(etcApt = '/etc/apt'): AptSource[] {
  const read = (f: string): string => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const out = parseOneLineSources(read(path.join(etcApt, 'sources.list')));
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.join(etcApt, 'sources.list.d')).sort();
  } catch {
    /* none */
  }
  for (const n of names) {
    const file = path.join(etcApt, 'sources.list.d', n);
    if (n.endsWith('.list')) out.push(...parseOneLineSources(read(file)));
    else if (n.endsWith('.sources')) out.push(...parseDeb822Sources(read(file)));
  }
  return out;
}

/** The first binary-package entry for `suite` with `main`: the host's own Debian mirror. */
export function debianMirror(sources: AptSource[], suite = BASE_SUITE): { uri: string; signedBy?: string } | null {
  const s = sources.find(
    (x) => x.types.includes('deb') && x.suites.includes(suite) && x.components.includes('main') && x.uris.length > 0,
  );
  return s ? { uri: s.uris[0]!, ...(s.signedBy ? { signedBy: s.signedBy } : {}) } : null;
}

/** A private deb822 sources file: by default the mirror's base suite (dependencies) and its backports. */
export function privateSources(
  mirror: { uri: string; signedBy?: string },
  suites: readonly string[] = [BASE_SUITE, BACKPORTS_SUITE],
): string {
  const signed = mirror.signedBy ? `Signed-By: ${mirror.signedBy.split('\n').join('\n ')}\n` : '';
  return `Types: deb\nURIs: ${mirror.uri}\nSuites: ${suites.join(' ')}\nComponents: main\n${signed}`;
}

// ---- Fetching --------------------------------------------------------------------------------

export interface FetchOptions {
  downloads?: string;
  etcApt?: string;
  /** Called once the version to unpack is known, before the download. */
  onVersion?: (version: string, dir: string) => void;
}

/** Why this host gets no bundled QEMU (not Debian bookworm with apt), or null when it can. */
export function bookwormHost(osRelease = '/etc/os-release'): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  let text = '';
  try {
    text = fs.readFileSync(osRelease, 'utf8');
  } catch {
    return 'no /etc/os-release';
  }
  const field = (k: string): string => text.match(new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm'))?.[1] ?? '';
  if (field('ID') !== 'debian' || field('VERSION_CODENAME') !== BASE_SUITE)
    return `not Debian ${BASE_SUITE} (${field('ID')} ${field('VERSION_CODENAME')})`;
  if (spawnSync('apt-get', ['--version']).status !== 0) return 'no apt-get';
  return null;
}

export function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0)
    throw new Error(
      `${cmd} ${args.filter((a) => !a.includes('::') && a !== '-o').join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' / ')}`,
    );
  return r.stdout;
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

export interface PrivateApt {
  /** apt-get/apt-cache options that use only the private configuration. */
  opts: string[];
  /** A scratch directory (removed afterwards) with an empty `debs/` to download into. */
  work: string;
  mirror: { uri: string; signedBy?: string };
}

/**
 * Runs `fn` with apt configured to use only the host's own Debian mirror for `suites` (lists and
 * cache in a temporary directory): the host's apt sources, lists and packages stay as they were.
 * A testing suite's Release file may carry a Valid-Until a frozen mirror outlives: freshness is not
 * checked (signatures still are).
 */
export function withPrivateApt<T>(o: { etcApt?: string; suites?: readonly string[] }, fn: (apt: PrivateApt) => T): T {
  const mirror = debianMirror(readAptSources(o.etcApt));
  if (!mirror) throw new Error(`no '${BASE_SUITE}' entry with 'main' in the host's apt sources`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-apt-'));
  try {
    // apt drops to its _apt user to download: it must reach the lists and the download dir.
    fs.chmodSync(work, 0o755);
    const sources = path.join(work, 'berth.sources');
    fs.writeFileSync(sources, privateSources(mirror, o.suites));
    for (const d of ['lists/partial', 'cache/archives/partial', 'debs'])
      fs.mkdirSync(path.join(work, d), { recursive: true });
    const opts = [
      '-o',
      `Dir::Etc::SourceList=${sources}`,
      '-o',
      'Dir::Etc::SourceParts=/dev/null',
      '-o',
      `Dir::State::Lists=${path.join(work, 'lists')}`,
      '-o',
      `Dir::Cache=${path.join(work, 'cache')}`,
      '-o',
      'Dir::Etc::Preferences=/dev/null',
      '-o',
      'Dir::Etc::PreferencesParts=/dev/null',
      ...(o.suites ? ['-o', 'Acquire::Check-Valid-Until=false'] : []),
      ...(process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : []),
    ];
    run('apt-get', [...opts, '-qq', 'update']);
    return fn({ opts, work, mirror });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
