// The `berth` CLI as prebuilt JavaScript, so a run does not transpile TypeScript first. esbuild
// bundles electron/node-host/cli/main.ts into dist/cli/<stamp>/berth.mjs (ESM for Node 20, split at
// main.ts's per-command imports so each command loads only its own modules; node_modules stay
// outside). <stamp> hashes the path, size and mtime of every source the bundle can come from
// (sourceFiles below), so a build is current exactly when its folder exists: bin/berth.js checks
// that at every run (a stat per file, a few ms) and builds first when it is missing.
//   node bin/cli-bundle.js      builds it now, if needed (scripts/setup.sh, npm run build:cli)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
export const ROOT = path.resolve(path.dirname(SELF), '..');
export const ENTRY = 'electron/node-host/cli/main.ts';
export const OUT_DIR = 'dist/cli';
const SOURCE_DIRS = ['electron', 'engine'];
/**
 * Under SOURCE_DIRS but never in the bundle: the VM image's files, and the types generated from
 * the .proto (imported as types only; the .proto itself counts).
 */
const SKIP_DIRS = new Set(['engine/image/out', 'engine/image/rootfs', 'engine/image/releases', 'engine/proto/generated']);
const SOURCE_EXT = /\.(ts|tsx|mts|cts|js|mjs|cjs|json|proto)$/;
/** What else decides the output: dependencies, compiler settings, and this file (the build options). */
const ROOT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];
/** Builds kept, the newest included: a process that started on an older one may still import its chunks. */
const KEEP_BUILDS = 3;

/** Every file the bundle can depend on, with its size and mtime: `path size mtimeMs` lines, sorted. */
export function sourceFiles(root = ROOT) {
  const lines = [];
  const walk = (rel) => {
    let entries;
    try { entries = fs.readdirSync(`${root}/${rel}`, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) { if (!SKIP_DIRS.has(r) && e.name !== 'node_modules') walk(r); } else if (SOURCE_EXT.test(e.name)) {
        const st = fs.statSync(`${root}/${r}`);
        lines.push(`${r} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(d);
  for (const f of [...ROOT_FILES, path.relative(root, SELF)]) {
    const st = fs.statSync(path.join(root, f), { throwIfNoEntry: false });
    lines.push(`${f.split(path.sep).join('/')} ${st ? `${st.size} ${st.mtimeMs}` : '-'}`);
  }
  return lines.sort();
}

export function stampOf(lines) {
  return crypto.createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 20);
}

/** The current build's entry and stamp; `fresh` is false when the sources changed since (or nothing was built). */
export function cliBundle(root = ROOT) {
  const lines = sourceFiles(root);
  const stamp = stampOf(lines);
  const entry = path.join(root, OUT_DIR, stamp, 'berth.mjs');
  return { entry, stamp, lines, fresh: fs.existsSync(entry) };
}

/**
 * Builds the bundle for these sources (`lines`: sourceFiles(), taken before the build, so a file
 * changed while esbuild reads it makes the next run's stamp differ and build again). Built in a
 * folder of its own, renamed into place when complete: a run never sees half a build, and runs
 * racing to build the same sources both end with the one folder. Returns the entry file.
 */
export async function buildCli(root = ROOT, lines = sourceFiles(root)) {
  const { build } = await import('esbuild');
  const stamp = stampOf(lines);
  const out = path.join(root, OUT_DIR);
  const dir = path.join(out, stamp);
  const tmp = path.join(out, `.${stamp}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`);
  try {
    await build({
      absWorkingDir: root, entryPoints: { berth: path.join(root, ENTRY) }, outdir: tmp,
      bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external',
      outExtension: { '.js': '.mjs' }, chunkNames: 'chunk-[hash]', keepNames: true, logLevel: 'silent',
    });
    fs.writeFileSync(path.join(tmp, 'sources.txt'), `${lines.join('\n')}\n`);
    try { fs.renameSync(tmp, dir); } catch (e) { if (!fs.existsSync(path.join(dir, 'berth.mjs'))) throw e; }
  } finally { fs.rmSync(tmp, { recursive: true, force: true }); }
  try { prune(out, stamp); } catch { /* another run pruning too; the next build tries again */ }
  return path.join(dir, 'berth.mjs');
}

/** Removes all but the newest builds (and leftovers of interrupted ones). */
function prune(out, keep) {
  const builds = fs.readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== keep)
    .map((e) => ({ dir: path.join(out, e.name), leftover: e.name.startsWith('.'), mtime: fs.statSync(path.join(out, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  const hour = Date.now() - 3600_000;
  builds.filter((b, i) => (b.leftover ? b.mtime < hour : i >= KEEP_BUILDS - 1))
    .forEach((b) => fs.rmSync(b.dir, { recursive: true, force: true }));
}

/** The sources that differ from the newest earlier build's (for the rebuild's message), at most three. */
export function changedSince(root, lines) {
  const out = path.join(root, OUT_DIR);
  let prev;
  try {
    prev = fs.readdirSync(out).filter((n) => !n.startsWith('.'))
      .map((n) => ({ n, mtime: fs.statSync(path.join(out, n)).mtimeMs })).sort((a, b) => b.mtime - a.mtime)[0];
  } catch { return null; }
  if (!prev) return null;
  let before;
  try { before = new Set(fs.readFileSync(path.join(out, prev.n, 'sources.txt'), 'utf8').split('\n')); } catch { return null; }
  const now = new Set(lines);
  const names = [...new Set([...lines.filter((l) => !before.has(l)), ...[...before].filter((l) => l && !now.has(l))]
    .map((l) => l.slice(0, l.indexOf(' '))))];
  return names.length > 3 ? [...names.slice(0, 3), `${names.length - 3} more`] : names;
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const b = cliBundle();
  const entry = b.fresh ? b.entry : await buildCli(ROOT, b.lines);
  console.log(`berth CLI: ${path.relative(ROOT, entry)} (${b.fresh ? 'up to date' : 'built'}, from ${b.lines.length} source files)`);
}
