// Builds what the desktop app runs: the renderer (dist/renderer), the guest agent bundle
// (dist/agent/agent.mjs) and the sandboxed preload (dist/electron/preload.cjs). With --package it
// also stages the VM image for electron-builder (dist/vm-image) and runs electron-builder.
//   node bin/run-ts.js electron/shell/main/build-app.ts [--package [electron-builder args…]]
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildAgent } from '../../../engine/agent/build.ts';
import { imageComplete, imageDir } from '../../../engine/image/locate.ts';
import { buildRenderer } from '../../node-host/cli/dashboard-command.ts';
import { buildPreload } from '../preload/build.ts';
import { OPTIONAL_IMAGE_FILES, SHIPPED_IMAGE_FILES } from './packaged-resources.ts';
import { APP_ROOT } from './paths.ts';

/** Where electron-builder.yml takes the VM image from (the recipe's cache dir has a hash in its name). */
export const STAGED_IMAGE_DIR = path.join(APP_ROOT, 'dist', 'vm-image');

export async function buildApp(log: (s: string) => void = console.error): Promise<void> {
  log('building the dashboard (dist/renderer)…');
  await buildRenderer();
  log('building the guest agent (dist/agent/agent.mjs)…');
  await buildAgent();
  log('building the preload (dist/electron/preload.cjs)…');
  await buildPreload();
}

/** Hard-links (else copies) the kernel, initrd, root archive and data-disk template of this recipe's image into dist/vm-image. */
export function stageImage(from = imageDir(), to = STAGED_IMAGE_DIR): string {
  if (!imageComplete(from)) throw new Error(`VM image not found in ${from}: build it first with 'npm run image'`);
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const f of [...SHIPPED_IMAGE_FILES, ...OPTIONAL_IMAGE_FILES.filter((o) => fs.existsSync(path.join(from, o)))]) {
    try {
      fs.linkSync(path.join(from, f), path.join(to, f));
    } catch {
      fs.copyFileSync(path.join(from, f), path.join(to, f));
    }
  }
  return to;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildApp();
  const i = process.argv.indexOf('--package');
  if (i >= 0) {
    console.error(`staging the VM image in ${stageImage()}`);
    const bin = path.join(APP_ROOT, 'node_modules', '.bin', 'electron-builder');
    const r = spawnSync(bin, ['--config', 'electron-builder.yml', ...process.argv.slice(i + 1)], {
      cwd: APP_ROOT,
      stdio: 'inherit',
    });
    process.exit(r.status ?? 1);
  }
}
