#!/usr/bin/env node
// The `berth` command (and `berth host`, the background host it starts). Runs the CLI's prebuilt
// bundle (bin/cli-bundle.js), built again first whenever a source changed since: a run never uses
// old code. Without esbuild, or when the build fails, it runs the TypeScript sources through tsx
// (as it did before the bundle; 0.5 s slower), saying so.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENTRY, ROOT, buildCli, changedSince, cliBundle } from './cli-bundle.js';

const cli = cliBundle();
let entry = cli.fresh ? cli.entry : null;
if (!entry) {
  const changed = changedSince(ROOT, cli.lines);
  try {
    entry = await buildCli(ROOT, cli.lines);
    console.error(changed ? `berth: rebuilt the CLI (sources changed${changed.length ? `: ${changed.join(', ')}` : ''})` : 'berth: built the CLI');
  } catch (e) {
    const why = e.code === 'ERR_MODULE_NOT_FOUND' ? 'esbuild is not installed' : String(e.message).split('\n').slice(0, 6).join('\n  ');
    console.error(`berth: could not build the CLI (${why}); running it from its TypeScript sources through tsx`);
  }
}
if (entry) await import(pathToFileURL(entry).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(ROOT, ENTRY)).href);
}
