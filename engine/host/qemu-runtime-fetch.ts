// `node bin/run-ts.js engine/host/qemu-runtime-fetch.ts [--if-older] [--prefix WORD]`: unpacks
// Debian's bookworm-backports QEMU into Berth's cache (qemu-runtime.ts) and says which QEMU Berth
// now runs. --if-older (scripts/setup.sh): only on a Debian bookworm host whose QEMU is older than
// 10, silent when there is nothing to do. Exits 1 with a warning when the fetch fails.
import os from 'node:os';
import { BACKPORTS_SUITE, bookwormHost } from './private-apt.ts';
import {
  QEMU_MIN_MAJOR,
  cachedQemu,
  fetchBackportsQemu,
  selectQemu,
  systemQemuBinary,
  versionParts,
} from './qemu-runtime.ts';
import { qemuVersion } from './vm-files.ts';

const args = process.argv.slice(2);
const ifOlder = args.includes('--if-older');
const p = args.indexOf('--prefix');
const prefix = `${p >= 0 && args[p + 1] ? args[p + 1] : 'berth-qemu'}: `;
const home = (f: string): string => (f.startsWith(`${os.homedir()}/`) ? `~${f.slice(os.homedir().length)}` : f);

const system = qemuVersion(systemQemuBinary());
const notHere = bookwormHost();
const cached = cachedQemu();
if (ifOlder && (notHere || system === undefined || (versionParts(system)[0] ?? 0) >= QEMU_MIN_MAJOR || cached))
  process.exit(0);
if (notHere) {
  console.error(`${prefix}no bundled QEMU: this host is ${notHere}`);
  process.exit(1);
}
const t0 = Date.now();
try {
  const b = fetchBackportsQemu({
    onVersion: (v, dir) =>
      console.log(
        `${prefix}QEMU ${system ?? '(none)'} is older than ${QEMU_MIN_MAJOR}: unpacking Debian's ${BACKPORTS_SUITE} QEMU ${v} into ${home(dir)} (your apt sources are not changed)`,
      ),
  });
  const bytes = b.packages.reduce((n, p) => n + p.bytes, 0);
  const what = !cached
    ? `${b.packages.map((p) => `${p.name} ${p.version}`).join(', ')}: ${(bytes / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    : 'already in the cache';
  console.log(`${prefix}QEMU ${b.version} (${what}); Berth runs ${selectQemu().reason}`);
} catch (e) {
  console.error(
    `${prefix}warning: could not unpack QEMU ${QEMU_MIN_MAJOR} from ${BACKPORTS_SUITE}: ${(e as Error).message}; continuing with the system QEMU ${system ?? ''}`.trimEnd(),
  );
  process.exit(1);
}
