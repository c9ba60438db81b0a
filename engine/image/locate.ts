// Finds the VM image for this build of Berth and prepares the raw root file QEMU boots from.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { IMAGE_FILES, RECIPE_DIR, recipeHash, releaseRecipeDir } from './recipe.ts';
import type { VmImage } from './vm-image.ts';

export class ImageMissingError extends Error {}

/** The user's cache dir for Berth's images: outside any checkout, so every clone reuses them. */
export function imageCacheRoot(platform: NodeJS.Platform = process.platform, env = process.env): string {
  const home = os.homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Caches', 'Berth', 'images');
    case 'win32':
      return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Berth', 'cache', 'images');
    default:
      return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'berth', 'images');
  }
}

/** Files an image build fetches (node-runtime.ts), beside the images: pruning them is not pruning images. */
export function downloadsDir(platform: NodeJS.Platform = process.platform, env = process.env): string {
  return path.join(path.dirname(imageCacheRoot(platform, env)), 'downloads');
}

/** BERTH_IMAGE_DIR (a packaged app's resources) wins; else the user's cache for this recipe. */
export function imageDir(env = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.BERTH_IMAGE_DIR) return path.resolve(env.BERTH_IMAGE_DIR);
  return path.join(imageCacheRoot(platform, env), recipeHash());
}

/** A released recipe's image, beside the current one in the cache. */
export function releaseImageDir(name: string, env = process.env, platform: NodeJS.Platform = process.platform): string {
  return path.join(imageCacheRoot(platform, env), `${name}-${recipeHash(releaseRecipeDir(name))}`);
}

/** Where checkouts before the shared cache built their image; build.ts adopts one found there. */
export function legacyImageDir(): string {
  return path.join(RECIPE_DIR, 'out', recipeHash());
}

export function imageComplete(dir: string): boolean {
  return [IMAGE_FILES.kernel, IMAGE_FILES.initrd, IMAGE_FILES.rootfsZst].every((f) => fs.existsSync(path.join(dir, f)));
}

/** The image's files, decompressing the root once (sparse) next to the archive. */
export function locateImage(dir = imageDir()): VmImage {
  if (!imageComplete(dir)) {
    throw new ImageMissingError(
      `VM image not found in ${dir}: build it with 'npm run image' (needs root and mmdebstrap)`,
    );
  }
  const rootfs = path.join(dir, IMAGE_FILES.rootfs);
  if (!fs.existsSync(rootfs)) {
    const tmp = `${rootfs}.${process.pid}.tmp`;
    const r = spawnSync('zstd', ['-d', '-q', '-f', '--sparse', path.join(dir, IMAGE_FILES.rootfsZst), '-o', tmp], {
      stdio: 'pipe',
    });
    if (r.error || r.status !== 0) {
      fs.rmSync(tmp, { force: true });
      const why = r.error ? `${r.error.message} (install zstd)` : r.stderr.toString().trim();
      throw new Error(`could not decompress the VM root image: ${why}`);
    }
    fs.renameSync(tmp, rootfs);
  }
  markUsed(dir);
  const template = path.join(dir, IMAGE_FILES.dataTemplate);
  return {
    kernel: path.join(dir, IMAGE_FILES.kernel),
    initrd: path.join(dir, IMAGE_FILES.initrd),
    rootfs,
    ...(fs.existsSync(template) ? { dataTemplate: template } : {}),
  };
}

/** The directory's mtime is its last use: pruning keeps what any checkout booted recently. */
export function markUsed(dir: string): void {
  try {
    const now = new Date();
    fs.utimesSync(dir, now, now);
  } catch {
    // A read-only image (packaged app resources) is never pruned anyway.
  }
}
