// Bundles the preload into one CommonJS file: a sandboxed preload can require only 'electron'
// and a few built-ins, so the contract and zod travel inside the bundle.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PRELOAD_BUNDLE = path.join(ROOT, 'dist', 'electron', 'preload.cjs');

export async function buildPreload(): Promise<string> {
  await build({
    entryPoints: [path.join(ROOT, 'electron', 'shell', 'preload', 'preload.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: PRELOAD_BUNDLE,
    external: ['electron'],
    minify: true,
    logLevel: 'error',
    legalComments: 'none',
  });
  return PRELOAD_BUNDLE;
}
