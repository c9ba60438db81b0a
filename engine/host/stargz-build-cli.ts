// `node bin/run-ts.js engine/host/stargz-build-cli.ts [--prefix WORD]` (scripts/setup.sh): builds
// containerd-stargz-grpc into Berth's cache for lazy pulling (stargz-build.ts); a warning and exit
// 1 when it cannot, and the rest of Berth works without it.
import os from 'node:os';
import { downloadsDir } from '../image/locate.ts';
import { buildStargz } from './stargz-build.ts';

const args = process.argv.slice(2);
const p = args.indexOf('--prefix');
const prefix = `${p >= 0 && args[p + 1] ? args[p + 1] : 'berth-stargz'}: `;
const home = (f: string): string => (f.startsWith(`${os.homedir()}/`) ? `~${f.slice(os.homedir().length)}` : f);
const t0 = Date.now();
try {
  const b = buildStargz(downloadsDir(), (l) => console.log(`${prefix}${l}`));
  console.log(
    `${prefix}containerd-stargz-grpc ${b.manifest.version} in ${home(b.dir)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
} catch (e) {
  console.error(`${prefix}warning: lazy pulling will not be available: ${(e as Error).message}`);
  process.exitCode = 1;
}
