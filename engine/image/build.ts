// `npm run image`: builds the VM image for the current recipe into the user's cache unless it is
// already there, so every checkout (and CI's fresh clone) on this machine reuses one build.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { IMAGE_FILES, RECIPE_DIR, releaseRecipeDir } from './recipe.ts';
import { nodeRuntimeBinary, nodeRuntimePin } from './node-runtime.ts';
import { downloadsDir, imageComplete, imageDir, legacyImageDir, markUsed, releaseImageDir } from './locate.ts';

const DAY = 24 * 3600 * 1000;
/** Other recipes' images kept: branches switched back to within days should not rebuild. */
const KEEP_OTHERS = 3;
const KEEP_UNUSED_MS = 7 * DAY;

/** Moves an image an older checkout built into engine/image/out/ into the cache. */
function adoptLegacy(dir: string): boolean {
  const legacy = legacyImageDir();
  if (legacy === dir || !imageComplete(legacy)) return false;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.renameSync(legacy, dir);
  } catch {
    // Another file system: copy the archives (the raw root is decompressed again on first use).
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(legacy))
      if (f !== IMAGE_FILES.rootfs) fs.copyFileSync(path.join(legacy, f), path.join(dir, f));
  }
  return imageComplete(dir);
}

/** Drops other recipes' images nobody used for a week, and all but the few most recent. */
export function prune(dir: string, now = Date.now()): void {
  const root = path.dirname(dir);
  const others = fs
    .readdirSync(root)
    .map((name) => ({ full: path.join(root, name), mtime: fs.statSync(path.join(root, name)).mtimeMs }))
    .filter((e) => e.full !== dir)
    .sort((a, b) => b.mtime - a.mtime);
  // A staging dir younger than a day may be another build still running.
  const partial = (e: { full: string }): boolean => /\.partial/.test(e.full);
  for (const e of others.filter(partial)) if (e.mtime < now - DAY) fs.rmSync(e.full, { recursive: true, force: true });
  others
    .filter((e) => !partial(e))
    .forEach((e, i) => {
      if (i >= KEEP_OTHERS || e.mtime < now - KEEP_UNUSED_MS) fs.rmSync(e.full, { recursive: true, force: true });
    });
}

/** build.sh's versions.tsv ("package<TAB>version" lines) as an object, when the recipe wrote one. */
function engineVersions(dir: string): Record<string, string> | undefined {
  const file = path.join(dir, 'versions.tsv');
  if (!fs.existsSync(file)) return undefined;
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
  return Object.fromEntries(lines.filter((l) => l.length === 2).map(([p, v]) => [p!, v!]));
}

function main(): number {
  const force = process.argv.includes('--force');
  // `--release NAME`: an earlier Berth's recipe (releases/NAME), for the upgrade test.
  const ri = process.argv.indexOf('--release');
  const release = ri > 0 ? process.argv[ri + 1] : undefined;
  if (ri > 0 && !release) {
    console.error('usage: build.ts [--force] [--release NAME]');
    return 2;
  }
  const recipeDir = release ? releaseRecipeDir(release) : RECIPE_DIR;
  const dir = release ? releaseImageDir(release) : imageDir();
  if (!release && !force && !imageComplete(dir) && !process.env.BERTH_IMAGE_DIR && adoptLegacy(dir)) {
    console.log(`VM image moved from the checkout into the cache: ${dir}`);
  }
  if (imageComplete(dir) && !force) {
    markUsed(dir);
    console.log(`VM image up to date: ${dir}`);
    return 0;
  }
  for (const tool of ['mmdebstrap', 'mkfs.ext4', 'zstd']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.error(
        `cannot build the VM image: '${tool}' is missing (Debian: apt-get install mmdebstrap e2fsprogs zstd)`,
      );
      return 1;
    }
  }
  if (process.getuid?.() !== 0) {
    console.error(
      'cannot build the VM image: mmdebstrap runs in root mode here; run as root (or use a packaged image via BERTH_IMAGE_DIR)',
    );
    return 1;
  }
  // Per process: two checkouts building the same recipe at once do not share a staging dir.
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  // Made now, not by build.sh once its bootstrap is done: the staging dir is how others (the
  // packaging test, while scripts/test.sh builds in the background) see a build under way.
  fs.mkdirSync(staging, { recursive: true });
  console.log(`building VM image into ${dir} …`);
  const t0 = Date.now();
  const pin = nodeRuntimePin(recipeDir);
  let nodeBinary = '';
  try {
    if (pin) nodeBinary = nodeRuntimeBinary(pin, downloadsDir());
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    console.error(`cannot build the VM image: ${(e as Error).message}`);
    return 1;
  }
  const r = spawnSync('bash', [path.join(recipeDir, 'build.sh'), staging], {
    stdio: 'inherit',
    env: { ...process.env, BERTH_NODE_BINARY: nodeBinary },
  });
  if (r.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    console.error(`VM image build failed (exit ${r.status ?? r.signal})`);
    return 1;
  }
  const size = fs.statSync(path.join(staging, IMAGE_FILES.rootfsZst)).size;
  // Kept for `npm run bench`, which reports the build without rebuilding.
  fs.writeFileSync(
    path.join(staging, 'build.json'),
    JSON.stringify({
      buildSeconds: (Date.now() - t0) / 1000,
      compressedBytes: size,
      builtAt: new Date().toISOString(),
      release,
      engine: engineVersions(staging),
    }),
  );
  if (imageComplete(dir) && !force) {
    fs.rmSync(staging, { recursive: true, force: true }); // another build finished first: keep the one VMs may be using
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  }
  prune(dir);
  console.log(`VM image ready: ${dir} (root ${(size / 1048576).toFixed(0)} MiB compressed)`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
