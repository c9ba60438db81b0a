// `node bin/run-ts.js engine/host/virtiofsd-fetch-cli.ts [--prefix WORD]` (scripts/setup.sh): on a
// Debian bookworm host without a Rust virtiofsd, unpacks trixie's into Berth's cache
// (virtiofsd-runtime.ts); silent when there is nothing to do, a warning and exit 1 when it fails
// (file sharing then runs on QEMU's C virtiofsd).
import fs from 'node:fs';
import os from 'node:os';
import { bookwormHost } from './private-apt.ts';
import { cachedVirtiofsd, fetchVirtiofsd, SYSTEM_RUST_VIRTIOFSD } from './virtiofsd-runtime.ts';

const args = process.argv.slice(2);
const p = args.indexOf('--prefix');
const prefix = `${p >= 0 && args[p + 1] ? args[p + 1] : 'berth-virtiofsd'}: `;
const home = (f: string): string => (f.startsWith(`${os.homedir()}/`) ? `~${f.slice(os.homedir().length)}` : f);

if (fs.existsSync(SYSTEM_RUST_VIRTIOFSD) || cachedVirtiofsd() || bookwormHost() || process.arch !== 'x64')
  process.exit(0);
const t0 = Date.now();
try {
  const b = fetchVirtiofsd(undefined, (l) => console.log(`${prefix}${l}`));
  console.log(
    `${prefix}Rust virtiofsd ${b.manifest.version} from ${b.manifest.suite} in ${home(b.dir)} (${((Date.now() - t0) / 1000).toFixed(1)} s): file sharing uses it instead of QEMU's C one`,
  );
} catch (e) {
  console.error(`${prefix}warning: no Rust virtiofsd: ${(e as Error).message}; file sharing uses QEMU's C one`);
  process.exitCode = 1;
}
