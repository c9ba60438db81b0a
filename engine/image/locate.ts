// Finds the VM image for this build of Berth and prepares the raw root file QEMU boots from.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { IMAGE_FILES, RECIPE_DIR, recipeHash } from './recipe.ts';
import type { VmImage } from '../host/qemu-args.ts';

export class ImageMissingError extends Error {}

/** BERTH_IMAGE_DIR (a packaged app's resources) wins; else the checkout's cache for this recipe. */
export function imageDir(env = process.env): string {
  if (env.BERTH_IMAGE_DIR) return path.resolve(env.BERTH_IMAGE_DIR);
  return path.join(RECIPE_DIR, 'out', recipeHash());
}

export function imageComplete(dir: string): boolean {
  return [IMAGE_FILES.kernel, IMAGE_FILES.initrd, IMAGE_FILES.rootfsZst].every((f) => fs.existsSync(path.join(dir, f)));
}

/** The image's files, decompressing the root once (sparse) next to the archive. */
export function locateImage(dir = imageDir()): VmImage {
  if (!imageComplete(dir)) {
    throw new ImageMissingError(`VM image not found in ${dir}: build it with 'npm run image' (needs root and mmdebstrap)`);
  }
  const rootfs = path.join(dir, IMAGE_FILES.rootfs);
  if (!fs.existsSync(rootfs)) {
    const tmp = `${rootfs}.${process.pid}.tmp`;
    const r = spawnSync('zstd', ['-d', '-q', '-f', '--sparse', path.join(dir, IMAGE_FILES.rootfsZst), '-o', tmp], { stdio: 'pipe' });
    if (r.error || r.status !== 0) {
      fs.rmSync(tmp, { force: true });
      const why = r.error ? `${r.error.message} (install zstd)` : r.stderr.toString().trim();
      throw new Error(`could not decompress the VM root image: ${why}`);
    }
    fs.renameSync(tmp, rootfs);
  }
  return { kernel: path.join(dir, IMAGE_FILES.kernel), initrd: path.join(dir, IMAGE_FILES.initrd), rootfs };
}
