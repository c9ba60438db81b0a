// `berth dashboard`: makes sure the renderer is built, asks the Berth host to serve the
// dashboard and prints its URL (with the token: anyone holding it can drive the engine).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlClient } from '../control/control-client.ts';
import { DashboardInfoSchema } from './host-routes.ts';
import { RENDERER_DIR } from './static-files.ts';

const VITE_CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../renderer/vite.config.ts');

export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: VITE_CONFIG, logLevel: 'warn' });
}

export async function dashboardCommand(client: ControlClient, args: string[]): Promise<number> {
  if (args.includes('--build') || !fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    console.error('Building the dashboard…');
    await buildRenderer();
  }
  const { url } = await client.call('POST', '/v1/dashboard', DashboardInfoSchema);
  console.log(`Dashboard: ${url}`);
  console.log('Open it in a browser on this machine. The URL holds a secret token: do not share it.');
  return 0;
}
