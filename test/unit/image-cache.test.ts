// Where the VM image lives: the user's cache dir keyed by the recipe hash, shared by every
// checkout on the machine, BERTH_IMAGE_DIR first; old images pruned by last use.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { downloadsDir, imageCacheRoot, imageDir, locateImage } from '../../engine/image/locate.ts';
import { prune } from '../../engine/image/build.ts';
import { RECIPE_DIR, recipeHash } from '../../engine/image/recipe.ts';

const home = os.homedir();

describe('VM image cache', () => {
  it('is the platform cache dir keyed by the recipe hash, outside the checkout', () => {
    const hash = recipeHash();
    assert.equal(imageDir({}, 'linux'), path.join(home, '.cache', 'berth', 'images', hash));
    assert.equal(imageDir({ XDG_CACHE_HOME: '/xdg' }, 'linux'), path.join('/xdg', 'berth', 'images', hash));
    assert.equal(imageDir({}, 'darwin'), path.join(home, 'Library', 'Caches', 'Berth', 'images', hash));
    assert.equal(
      imageCacheRoot('win32', { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }),
      path.join('C:\\Users\\u\\AppData\\Local', 'Berth', 'cache', 'images'),
    );
    assert.ok(!imageDir({}, 'linux').startsWith(RECIPE_DIR), 'a fresh clone finds the same image');
    // Beside the images, not among them: pruning old images must not take the fetched runtime.
    assert.equal(downloadsDir('linux', { XDG_CACHE_HOME: '/xdg' }), path.join('/xdg', 'berth', 'downloads'));
  });

  it('BERTH_IMAGE_DIR wins', () => {
    assert.equal(
      imageDir({ BERTH_IMAGE_DIR: '/opt/berth/image', XDG_CACHE_HOME: '/xdg' }, 'linux'),
      '/opt/berth/image',
    );
  });

  it('locating an image marks it used; pruning keeps the recently used ones and running builds', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cache-'));
    try {
      const now = Date.now();
      const day = 24 * 3600 * 1000;
      const make = (name: string, ageDays: number): string => {
        const d = path.join(root, name);
        fs.mkdirSync(d);
        for (const f of ['vmlinuz', 'initrd.img', 'rootfs.img.zst', 'rootfs.img'])
          fs.writeFileSync(path.join(d, f), '');
        const t = new Date(now - ageDays * day);
        fs.utimesSync(d, t, t);
        return d;
      };
      const current = make('current', 30);
      const old = make('old', 30);
      locateImage(old); // booted just now by another checkout
      make('week-old', 8);
      for (const [i, n] of ['a', 'b', 'c'].entries()) make(n, 1 + i);
      make('x.partial-1', 0.5);
      make('y.partial-2', 2);
      prune(current, now);
      assert.deepEqual(fs.readdirSync(root).sort(), ['a', 'b', 'current', 'old', 'x.partial-1']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
