// Where the shell finds its built files. The packaged app keeps the checkout's layout
// (electron-builder.yml copies these paths as they are), so one set of paths serves both.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHELL_PATHS = {
  entry: path.join(APP_ROOT, 'electron', 'shell', 'main', 'entry.mjs'),
  rendererDir: path.join(APP_ROOT, 'dist', 'renderer'),
  preload: path.join(APP_ROOT, 'dist', 'electron', 'preload.cjs'),
  assets: path.join(APP_ROOT, 'assets'),
  appIcon: path.join(APP_ROOT, 'assets', 'icons', '256x256.png'),
} as const;
