// `node bin/run-ts.js engine/host/stargz-build-cli.ts [--prefix WORD] [--tool NAME=MAIN.go ...]`
// (scripts/setup.sh): builds containerd-stargz-grpc into Berth's cache for lazy pulling
// (stargz-build.ts), and any tool given with the same library (the tests' eStargz layer builder);
// a warning and exit 1 when it cannot, and the rest of Berth works without it.
import os from 'node:os';
import path from 'node:path';
import { downloadsDir } from '../image/locate.ts';
import { buildStargz, type StargzTool } from './stargz-build.ts';

const args = process.argv.slice(2);
const p = args.indexOf('--prefix');
const prefix = `${p >= 0 && args[p + 1] ? args[p + 1] : 'berth-stargz'}: `;
const tools: StargzTool[] = args.flatMap((a, i) => {
  if (args[i - 1] !== '--tool') return [];
  const [name, mainGo] = a.split('=');
  if (!name || !mainGo || !/^[a-z0-9-]+$/.test(name)) throw new Error(`--tool NAME=MAIN.go, got ${JSON.stringify(a)}`);
  return [{ name, mainGo: path.resolve(mainGo) }];
});
const home = (f: string): string => (f.startsWith(`${os.homedir()}/`) ? `~${f.slice(os.homedir().length)}` : f);
const t0 = Date.now();
try {
  const b = buildStargz(downloadsDir(), (l) => console.log(`${prefix}${l}`), tools);
  console.log(
    `${prefix}containerd-stargz-grpc ${b.manifest.version} in ${home(b.dir)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
} catch (e) {
  console.error(`${prefix}warning: lazy pulling will not be available: ${(e as Error).message}`);
  process.exitCode = 1;
}
