// A program from a newer Debian suite for a host that has only an older one (bookworm): its
// packages are downloaded through the private apt configuration (private-apt.ts), unpacked into
// Berth's cache with exactly the libraries it links, from the same suite, and run through that
// suite's own dynamic loader by a two-line wrapper. Nothing on the host changes and no host library
// is replaced. The Rust virtiofsd (virtiofsd-runtime.ts) and the bench's passt come this way.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { downloadsDir } from '../image/locate.ts';
import { cachedPayload, writePayload, type Payload } from './feature-payload.ts';
import { run, withPrivateApt } from './private-apt.ts';

const LIB_DIR = path.join('usr', 'lib', 'x86_64-linux-gnu');
const LOADER = 'ld-linux-x86-64.so.2';

export interface DebianTool {
  /** The payload's name (`<name>-<version>` in the cache) and its main program's wrapper. */
  name: string;
  suite: string;
  /** The program's own package first, then those of the libraries it links. */
  packages: readonly string[];
  /** File names under usr/lib/x86_64-linux-gnu the programs link (readelf -d), the loader included. */
  libs: readonly string[];
  /** Wrapper name → the program's path in the unpacked packages; the first that exists of each list wins. */
  programs: Record<string, readonly string[]>;
  /** Arguments that make the main program print its version (checked once unpacked). */
  versionArgs: readonly string[];
}

export interface ToolManifest {
  version: string;
  suite: string;
  packages: Array<{ name: string; version: string }>;
}

export const manifestName = (t: Pick<DebianTool, 'name'>): string => `berth-${t.name}.json`;

/** The tool unpacked in the cache, or null. Whole once its manifest and main wrapper are there. */
export function cachedTool(t: Pick<DebianTool, 'name'>, downloads = downloadsDir()): Payload<ToolManifest> | null {
  return cachedPayload(
    t.name,
    manifestName(t),
    (m, dir) => {
      const v = m as Partial<ToolManifest> | null;
      return v && typeof v.version === 'string' && fs.existsSync(path.join(dir, t.name)) ? (v as ToolManifest) : null;
    },
    downloads,
  );
}

/** A program's wrapper: the payload's loader runs `<program>.bin` with the payload's libraries, found beside the script. */
export function wrapperScript(program: string): string {
  return [
    '#!/bin/sh',
    `# Written by Berth: ${program} with its own libraries (engine/host/debian-tool.ts).`,
    'd=$(dirname "$(readlink -f "$0")")',
    `exec "$d/lib/${LOADER}" --library-path "$d/lib" "$d/${program}.bin" "$@"`,
    '',
  ].join('\n');
}

/** The cached tool, else downloaded and unpacked now (x86_64 Linux hosts only). */
export function fetchTool(
  t: DebianTool,
  downloads = downloadsDir(),
  log: (line: string) => void = () => {},
): Payload<ToolManifest> {
  const have = cachedTool(t, downloads);
  if (have) return have;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('only for x86_64 Linux hosts');
  return withPrivateApt({ suites: [t.suite] }, ({ opts, work }) => {
    const debs = path.join(work, 'debs');
    log(`downloading ${t.packages.join(', ')} from ${t.suite}`);
    run('apt-get', [...opts, '-qq', 'download', ...t.packages.map((p) => `${p}/${t.suite}`)], debs);
    const tree = path.join(work, 'tree');
    const packages: ToolManifest['packages'] = [];
    for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      const [name, version] = run('dpkg-deb', ['-f', path.join(debs, deb), 'Package', 'Version'])
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\w+:\s*/, ''));
      packages.push({ name: name ?? deb, version: version ?? '' });
      run('dpkg-deb', ['-x', path.join(debs, deb), tree]);
    }
    const main = packages.find((p) => p.name === t.packages[0]);
    if (!main) throw new Error(`${t.suite} has no ${t.packages[0]}`);
    const version = main.version.replace(/-[^-]*$/, '');
    return writePayload(
      `${t.name}-${version}`,
      manifestName(t),
      (tmp): ToolManifest => {
        fs.mkdirSync(path.join(tmp, 'lib'));
        for (const l of t.libs) fs.copyFileSync(fs.realpathSync(path.join(tree, LIB_DIR, l)), path.join(tmp, 'lib', l));
        fs.chmodSync(path.join(tmp, 'lib', LOADER), 0o755);
        for (const [program, candidates] of Object.entries(t.programs)) {
          const found = candidates.map((c) => path.join(tree, c)).find((c) => fs.existsSync(c));
          if (!found) {
            if (program === t.name)
              throw new Error(`${main.name} ${main.version} has none of ${candidates.join(', ')}`);
            continue; // an optional companion this version lacks
          }
          fs.copyFileSync(found, path.join(tmp, `${program}.bin`));
          fs.chmodSync(path.join(tmp, `${program}.bin`), 0o755);
          fs.writeFileSync(path.join(tmp, program), wrapperScript(program), { mode: 0o755 });
        }
        const r = spawnSync(path.join(tmp, t.name), [...t.versionArgs], { encoding: 'utf8' });
        if (r.status !== 0 || !`${r.stdout}${r.stderr}`.includes(t.name))
          throw new Error(`the unpacked ${t.name} does not run: ${(r.stderr || r.error?.message || '').trim()}`);
        log(`${t.name} ${version} runs: ${(r.stdout || r.stderr).trim().split('\n')[0]}`);
        return { version, suite: t.suite, packages: packages.sort((a, b) => a.name.localeCompare(b.name)) };
      },
      downloads,
    );
  });
}
