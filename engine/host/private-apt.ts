// Debian packages fetched without touching the host's apt: a private, temporary apt configuration
// that names only the host's own Debian mirror (read from its sources), for the suites asked for.
// The bundled QEMU (bookworm-backports), the Wasm runtime and Rust virtiofsd (trixie) and the Go
// tree the stargz snapshotter is built with (forky) come this way; the host's sources, lists and
// installed packages are never changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** The Debian release Berth's host packages are for, and its backports. */
export const BASE_SUITE = 'bookworm';
export const BACKPORTS_SUITE = `${BASE_SUITE}-backports`;

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

/** Why this host cannot fetch Debian packages for itself (not Debian bookworm with apt), or null. */
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
