// The VM image's identity: a hash of every file of the recipe. An image is rebuilt only when it changes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { berthPath } from '../shared/berth-root.ts';

export const RECIPE_DIR = berthPath('engine', 'image');

/** An earlier Berth's recipe, kept unchanged for the upgrade test (releases/README.md). */
export function releaseRecipeDir(name: string): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`not a release name: ${JSON.stringify(name)}`);
  const dir = path.join(RECIPE_DIR, 'releases', name);
  if (!fs.existsSync(path.join(dir, 'build.sh'))) throw new Error(`no released recipe ${name} in ${path.dirname(dir)}`);
  return dir;
}
const RECIPE_FILES = ['build.sh', 'customize.sh', 'engine-suite.sh', 'node-runtime.json', 'rootfs'];

export function recipeHash(dir = RECIPE_DIR): string {
  const h = crypto.createHash('sha256');
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) walk(path.join(rel, name));
    } else {
      // Mode matters too: an executable bit lost is a different image.
      h.update(`${rel}\0${st.mode & 0o777}\0`);
      h.update(st.isSymbolicLink() ? fs.readlinkSync(abs) : fs.readFileSync(abs));
      h.update('\0');
    }
  };
  // A released recipe (releases/NAME) has no engine-suite.sh: hash the files it has.
  for (const f of RECIPE_FILES) if (fs.existsSync(path.join(dir, f))) walk(f);
  return h.digest('hex').slice(0, 16);
}

/** dataTemplate: a formatted data disk for a fresh install (optional: older recipes have none). */
export const IMAGE_FILES = {
  kernel: 'vmlinuz',
  initrd: 'initrd.img',
  rootfsZst: 'rootfs.img.zst',
  rootfs: 'rootfs.img',
  dataTemplate: 'data-template.qcow2',
} as const;
