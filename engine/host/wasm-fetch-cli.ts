// `node bin/run-ts.js engine/host/wasm-fetch-cli.ts [--prefix WORD]` (scripts/setup.sh): fetches the
// Wasm runtime (trixie's crun with WasmEdge, and what it needs that the VM image lacks) into
// Berth's cache (wasm-fetch.ts); a warning and exit 1 when it cannot, and the rest of Berth works.
import os from 'node:os';
import { downloadsDir } from '../image/locate.ts';
import { fetchWasm } from './wasm-fetch.ts';

const args = process.argv.slice(2);
const p = args.indexOf('--prefix');
const prefix = `${p >= 0 && args[p + 1] ? args[p + 1] : 'berth-wasm'}: `;
const home = (f: string): string => (f.startsWith(`${os.homedir()}/`) ? `~${f.slice(os.homedir().length)}` : f);
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
const t0 = Date.now();
try {
  const { dir, manifest: m } = fetchWasm(downloadsDir(), (l) => console.log(`${prefix}${l}`));
  const debs = m.packages.reduce((n, x) => n + x.bytes, 0);
  console.log(
    `${prefix}crun ${m.crun} with WasmEdge ${m.wasmedge} in ${home(dir)}: ${m.packages.length} packages, ` +
      `${mb(debs)} of .debs, ${mb(m.unpackedBytes)} unpacked (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  for (const x of m.packages) console.log(`${prefix}  ${x.name} ${mb(x.bytes)}`);
} catch (e) {
  console.error(`${prefix}warning: Wasm containers will not be available: ${(e as Error).message}`);
  process.exitCode = 1;
}
