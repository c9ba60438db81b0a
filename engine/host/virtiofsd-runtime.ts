// The Rust virtiofsd for hosts that have only QEMU's C one. Debian bookworm ships the C daemon
// (qemu-system-common 7.2: deprecated upstream, no thread pool that survives parallel load); the
// Rust one is Debian's `virtiofsd` package from trixie, built against trixie's glibc (2.39+), so
// it is unpacked into Berth's cache with the four libraries it links, from trixie too, and run
// through trixie's own dynamic loader (a two-line wrapper): nothing on the host changes and no
// host library is replaced. Fetched through the private apt configuration (private-apt.ts).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { downloadsDir } from '../image/locate.ts';
import { cachedPayload, writePayload, type Payload } from './feature-payload.ts';
import { run, withPrivateApt } from './private-apt.ts';

const SUITE = 'trixie';
/** The daemon and exactly what it links (readelf -d: libseccomp, libcap-ng, libgcc_s, libm, libc). */
const PACKAGES = ['virtiofsd', 'libc6', 'libcap-ng0', 'libgcc-s1', 'libseccomp2'] as const;
const LIBS = ['ld-linux-x86-64.so.2', 'libc.so.6', 'libm.so.6', 'libcap-ng.so.0', 'libgcc_s.so.1', 'libseccomp.so.2'];
export const VIRTIOFSD_MANIFEST = 'berth-virtiofsd.json';
/** Where Debian (trixie and later) and Fedora install the Rust virtiofsd: used before any payload. */
export const SYSTEM_RUST_VIRTIOFSD = '/usr/libexec/virtiofsd';
/** The wrapper's name in the payload: what findVirtiofsd returns. */
export const WRAPPER = 'virtiofsd';

export interface VirtiofsdManifest {
  version: string;
  suite: string;
  packages: Array<{ name: string; version: string }>;
}

/** The unpacked Rust virtiofsd in the cache, or null. Only x86_64 Linux hosts get one. */
export function cachedVirtiofsd(downloads = downloadsDir()): Payload<VirtiofsdManifest> | null {
  return cachedPayload(
    'virtiofsd',
    VIRTIOFSD_MANIFEST,
    (m, dir) => {
      const v = m as Partial<VirtiofsdManifest> | null;
      return v && typeof v.version === 'string' && fs.existsSync(path.join(dir, WRAPPER))
        ? (v as VirtiofsdManifest)
        : null;
    },
    downloads,
  );
}

/** The wrapper: trixie's loader runs the daemon with trixie's libraries, found beside the script. */
export function wrapperScript(): string {
  return [
    '#!/bin/sh',
    '# Written by Berth: trixie virtiofsd with its own libraries (engine/host/virtiofsd-runtime.ts).',
    'd=$(dirname "$(readlink -f "$0")")',
    'exec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" "$d/virtiofsd.bin" "$@"',
    '',
  ].join('\n');
}

export function fetchVirtiofsd(
  downloads = downloadsDir(),
  log: (line: string) => void = () => {},
): Payload<VirtiofsdManifest> {
  const have = cachedVirtiofsd(downloads);
  if (have) return have;
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('only for x86_64 Linux hosts');
  return withPrivateApt({ suites: [SUITE] }, ({ opts, work }) => {
    const debs = path.join(work, 'debs');
    log(`downloading ${PACKAGES.join(', ')} from ${SUITE}`);
    run('apt-get', [...opts, '-qq', 'download', ...PACKAGES.map((p) => `${p}/${SUITE}`)], debs);
    const tree = path.join(work, 'tree');
    const packages: VirtiofsdManifest['packages'] = [];
    for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      const [name, version] = run('dpkg-deb', ['-f', path.join(debs, deb), 'Package', 'Version'])
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\w+:\s*/, ''));
      packages.push({ name: name!, version: version! });
      run('dpkg-deb', ['-x', path.join(debs, deb), tree]);
    }
    const daemon = packages.find((p) => p.name === 'virtiofsd');
    if (!daemon) throw new Error(`${SUITE} has no virtiofsd`);
    const version = daemon.version.replace(/-[^-]*$/, '');
    return writePayload(
      `virtiofsd-${version}`,
      VIRTIOFSD_MANIFEST,
      (tmp): VirtiofsdManifest => {
        fs.mkdirSync(path.join(tmp, 'lib'));
        const libDir = path.join(tree, 'usr', 'lib', 'x86_64-linux-gnu');
        for (const l of LIBS) fs.copyFileSync(fs.realpathSync(path.join(libDir, l)), path.join(tmp, 'lib', l));
        fs.copyFileSync(path.join(tree, 'usr', 'libexec', 'virtiofsd'), path.join(tmp, 'virtiofsd.bin'));
        fs.chmodSync(path.join(tmp, 'virtiofsd.bin'), 0o755);
        fs.chmodSync(path.join(tmp, 'lib', 'ld-linux-x86-64.so.2'), 0o755);
        fs.writeFileSync(path.join(tmp, WRAPPER), wrapperScript(), { mode: 0o755 });
        const r = spawnSync(path.join(tmp, WRAPPER), ['--version'], { encoding: 'utf8' });
        if (r.status !== 0 || !r.stdout.includes('virtiofsd'))
          throw new Error(`the unpacked virtiofsd does not run: ${(r.stderr || r.error?.message || '').trim()}`);
        log(`virtiofsd ${version} runs: ${r.stdout.trim()}`);
        return { version, suite: SUITE, packages: packages.sort((a, b) => a.name.localeCompare(b.name)) };
      },
      downloads,
    );
  });
}
