// `berth dashboard`: makes sure the renderer is built, asks the Berth host to serve the
// dashboard (the contract's dashboard.open) and prints its URL (with the token: anyone holding
// it can drive the engine).
import fs from 'node:fs';
import path from 'node:path';
import type { DataDir } from '../../../engine/host/paths.ts';
import { berthPath } from '../../../engine/shared/berth-root.ts';
import { withHost } from './host-process.ts';
import { RENDERER_DIR } from '../dashboard/static-files.ts';

const VITE_CONFIG = berthPath('renderer', 'vite.config.ts');

export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: VITE_CONFIG, logLevel: 'warn' });
}

export async function dashboardCommand(data: DataDir, args: string[]): Promise<number> {
  if (args.includes('--build') || !fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    console.error('Building the dashboard…');
    await buildRenderer();
  }
  const { url } = await withHost(data, (c) => c.call('dashboard.open', {}));
  console.log(`Dashboard: ${url}`);
  console.log('Open it in a browser on this machine. The URL holds a secret token: do not share it.');
  return 0;
}
