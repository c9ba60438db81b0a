// Fetches the Wasm runtime for the VM into Berth's downloads cache (downloads/wasm-<crun version>/):
// Debian trixie's crun is built with its WasmEdge handler (forky's 1.28, the engine's suite, is
// not), and dlopens libwasmedge.so.0 from libwasmedge0. Only what the VM image lacks is fetched:
// apt simulates the install against the image's own dpkg status (read from its root filesystem
// with debugfs), through the private apt configuration (qemu-runtime.ts withPrivateApt: the host's
// apt is not changed). The .debs are unpacked, not installed; the manifest is written last.
import fs from 'node:fs';
import path from 'node:path';
import { imageDir, locateImage } from '../image/locate.ts';
import { downloadsDir } from '../image/locate.ts';
import { writePayload } from './feature-payload.ts';
import { run, withPrivateApt } from './private-apt.ts';
import { cachedWasm, WASM_MANIFEST, type WasmManifest, type WasmPayload } from './wasm-feature.ts';

const SUITE = 'trixie';
const WANTED = ['crun', 'libwasmedge0'] as const;

/** The packages `apt-get -s install` would unpack: "Inst name (version suite [arch])". */
export function simulatedInstalls(out: string): Array<{ name: string; version: string }> {
  return out.split('\n').flatMap((l) => {
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/.exec(l);
    return m ? [{ name: m[1]!, version: m[2]! }] : [];
  });
}

/** The VM image's /var/lib/dpkg/status, read from its ext4 root without mounting it. */
function imageDpkgStatus(): string {
  return run('debugfs', ['-R', 'cat /var/lib/dpkg/status', locateImage().rootfs]);
}

export function fetchWasm(downloads = downloadsDir(), log: (line: string) => void = () => {}): WasmPayload {
  const have = cachedWasm(downloads);
  if (have) return have;
  const image = path.basename(imageDir());
  return withPrivateApt({ suites: [SUITE] }, ({ opts, work }) => {
    const status = path.join(work, 'image-status');
    fs.writeFileSync(status, imageDpkgStatus());
    const plan = simulatedInstalls(
      run('apt-get', [
        ...opts,
        '-o',
        `Dir::State::status=${status}`,
        '-o',
        'Debug::NoLocking=1',
        '--no-install-recommends',
        '-s',
        'install',
        ...WANTED,
      ]),
    );
    if (!plan.some((p) => p.name === 'crun')) throw new Error(`${SUITE} has no crun the image could take`);
    log(`downloading from ${SUITE}: ${plan.map((p) => p.name).join(', ')}`);
    const debs = path.join(work, 'debs');
    run('apt-get', [...opts, '-qq', 'download', ...plan.map((p) => `${p.name}=${p.version}`)], debs);
    const crun = plan.find((p) => p.name === 'crun')!.version;
    return writePayload(
      `wasm-${crun}`,
      WASM_MANIFEST,
      (tmp): WasmManifest => {
        const packages = fs
          .readdirSync(debs)
          .filter((f) => f.endsWith('.deb'))
          .sort()
          .map((deb) => {
            run('dpkg-deb', ['-x', path.join(debs, deb), tmp]);
            return { name: deb.split('_')[0]!, bytes: fs.statSync(path.join(debs, deb)).size };
          });
        fs.rmSync(path.join(tmp, 'usr', 'share'), { recursive: true, force: true });
        // Debian's crun names the Wasm annotations whether or not it has a handler: the library is the proof.
        if (!fs.readFileSync(path.join(tmp, 'usr', 'bin', 'crun')).includes('libwasmedge.so.0'))
          throw new Error(`${SUITE}'s crun ${crun} is built without WasmEdge`);
        return {
          crun,
          wasmedge: plan.find((p) => p.name === 'libwasmedge0')?.version ?? "the image's",
          suite: SUITE,
          image,
          packages,
          unpackedBytes: treeBytes(tmp),
          fetchedAt: new Date().toISOString(),
        };
      },
      downloads,
    );
  });
}

function treeBytes(dir: string): number {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
}
