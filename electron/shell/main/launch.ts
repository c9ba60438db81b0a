// `npm start`: builds the app, then runs it in Electron, or, where Electron's binary or a display
// is missing, says which and serves the headless dashboard instead (`berth dashboard`), starting
// the engine the way the app would.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildApp } from './build-app.ts';
import { APP_ROOT, SHELL_PATHS } from './paths.ts';

export type LaunchPlan =
  | { mode: 'electron'; binary: string; args: string[]; notes: string[] }
  | { mode: 'headless'; reason: string };

export interface LaunchEnv {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** The Electron executable's path, or why there is none. */
  electron: { path: string } | { missing: string };
  isRoot: boolean;
}

export function launchPlan(e: LaunchEnv): LaunchPlan {
  if ('missing' in e.electron)
    return { mode: 'headless', reason: `Electron's binary is not installed: ${e.electron.missing}` };
  if (e.platform === 'linux' && !e.env.DISPLAY && !e.env.WAYLAND_DISPLAY) {
    return { mode: 'headless', reason: 'no display: neither $DISPLAY nor $WAYLAND_DISPLAY is set' };
  }
  const args = [SHELL_PATHS.entry];
  const notes: string[] = [];
  if (e.platform === 'linux' && e.isRoot) {
    // Chromium refuses to run as root with its OS sandbox; the renderer keeps Electron's sandbox flag.
    args.unshift('--no-sandbox');
    notes.push("running as root: Chromium's OS sandbox is off (--no-sandbox)");
  }
  return { mode: 'electron', binary: e.electron.path, args, notes };
}

/** Asks the electron package where its binary is; it throws when the download never happened. */
export function findElectron(root = APP_ROOT): { path: string } | { missing: string } {
  const req = createRequire(path.join(root, 'package.json'));
  try {
    req.resolve('electron/package.json');
  } catch {
    return { missing: "the electron package is not installed (run 'npm ci')" };
  }
  const hint = `fetch it with 'node node_modules/electron/install.js' where Electron's release downloads are reachable`;
  let p: unknown;
  try {
    p = req('electron');
  } catch {
    return { missing: `the electron package is installed but its binary was never downloaded; ${hint}` };
  }
  if (typeof p !== 'string' || !fs.existsSync(p)) return { missing: `${String(p)} does not exist; ${hint}` };
  return { path: p };
}

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: APP_ROOT, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', (e) => {
      console.error(e.message);
      resolve(1);
    });
  });
}

async function main(): Promise<number> {
  await buildApp();
  const plan = launchPlan({
    platform: process.platform,
    env: process.env,
    electron: findElectron(),
    isRoot: process.getuid?.() === 0,
  });
  if (plan.mode === 'electron') {
    for (const n of plan.notes) console.error(`npm start: ${n}`);
    return run(plan.binary, plan.args);
  }
  console.error(`npm start: ${plan.reason}.`);
  console.error('npm start: starting the headless dashboard instead (berth dashboard), then the engine.');
  const berth = path.join(APP_ROOT, 'bin', 'berth.js');
  const code = await run(process.execPath, [berth, 'dashboard']);
  if (code !== 0) return code;
  return run(process.execPath, [berth, 'start']);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(await main());
}
