// `npm run image`: builds the VM image for the current recipe unless it is already cached.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { IMAGE_FILES, RECIPE_DIR } from './recipe.ts';
import { imageComplete, imageDir } from './locate.ts';

function main(): number {
  const force = process.argv.includes('--force');
  const dir = imageDir();
  if (imageComplete(dir) && !force) {
    console.log(`VM image up to date: ${dir}`);
    return 0;
  }
  for (const tool of ['mmdebstrap', 'mkfs.ext4', 'zstd']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.error(`cannot build the VM image: '${tool}' is missing (Debian: apt-get install mmdebstrap e2fsprogs zstd)`);
      return 1;
    }
  }
  if (process.getuid?.() !== 0) {
    console.error('cannot build the VM image: mmdebstrap runs in root mode here; run as root (or use a packaged image via BERTH_IMAGE_DIR)');
    return 1;
  }
  const staging = `${dir}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  console.log(`building VM image into ${dir} …`);
  const t0 = Date.now();
  const r = spawnSync('bash', [path.join(RECIPE_DIR, 'build.sh'), staging], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`VM image build failed (exit ${r.status ?? r.signal})`);
    return 1;
  }
  const size = fs.statSync(path.join(staging, IMAGE_FILES.rootfsZst)).size;
  // Kept for `npm run bench`, which reports the build without rebuilding.
  fs.writeFileSync(path.join(staging, 'build.json'), JSON.stringify({ buildSeconds: (Date.now() - t0) / 1000, compressedBytes: size, builtAt: new Date().toISOString() }));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  // Older images of this checkout are dead weight once nothing can still be booting from them.
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of fs.readdirSync(path.dirname(dir))) {
    const old = path.join(path.dirname(dir), name);
    if (name !== path.basename(dir) && fs.statSync(old).mtimeMs < dayAgo) fs.rmSync(old, { recursive: true, force: true });
  }
  console.log(`VM image ready: ${dir} (root ${(size / 1048576).toFixed(0)} MiB compressed)`);
  return 0;
}

process.exitCode = main();
