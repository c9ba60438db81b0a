// The folder Berth runs from (a checkout, or a packaged app, which keeps the checkout's layout):
// the nearest one above this module whose package.json is Berth's. Found by walking up, not by a
// fixed '../..', so the same paths hold from the TypeScript sources (tsx, tests) and from the
// CLI's bundle (dist/cli/<build>/, made by bin/cli-bundle.js), where every module shares one file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function findBerthRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'berth')
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json named "berth" in ${from} or above it`);
  }
}

export const BERTH_ROOT = findBerthRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path under BERTH_ROOT: berthPath('dist', 'renderer'). */
export function berthPath(...parts: string[]): string {
  return path.join(BERTH_ROOT, ...parts);
}
