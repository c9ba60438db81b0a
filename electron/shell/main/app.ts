// The Electron main process: wires the shell (shell.ts) to Electron (electron-ports.ts) and to the
// host services (shell-host.ts). Loaded by entry.mjs through tsx, like the berth CLI.
import { app } from 'electron';
import { DataDir } from '../../../engine/host/paths.ts';
import { writeDockerContext } from '../../../engine/host/docker-context.ts';
import {
  askTakeOver,
  attachIpc,
  createMainWindow,
  createTray,
  electronApp,
  installAppMenu,
  registerAppScheme,
  secureSession,
  showFatal,
} from './electron-ports.ts';
import { isFirstRun } from './first-run.ts';
import { IpcRouter } from './ipc-router.ts';
import { configurePackagedEnv } from './packaged-resources.ts';
import { SHELL_PATHS } from './paths.ts';
import { Shell } from './shell.ts';
import { startShellHost, type ShellHost } from './shell-host.ts';
import type { TrayModel } from './tray-model.ts';

registerAppScheme();
app.setName('Berth');

const data = new DataDir();
const log = (line: string): void => console.log(`${new Date().toISOString()} berth-app ${line}`);
let router: IpcRouter | null = null;
let trayLast: (() => TrayModel | null) | null = null;
// Read-only, for the end-to-end test (it reads the tray's state from the main process).
(globalThis as { berthShellState?: () => { tray: TrayModel | null } }).berthShellState = () => ({
  tray: trayLast?.() ?? null,
});

const shell = await Shell.launch({
  app: electronApp,
  firstRun: isFirstRun(data),
  log,
  writeContext: (socket) => writeDockerContext(socket),
  fatal: showFatal,
  async startHost() {
    if (app.isPackaged) configurePackagedEnv(process.resourcesPath, data);
    secureSession(SHELL_PATHS.rendererDir);
    const host: ShellHost = await startShellHost(data, {
      dockerContext: process.env.BERTH_NO_DOCKER_CONTEXT !== '1',
      takeOver: askTakeOver,
    });
    router = new IpcRouter(host.handler);
    attachIpc(router);
    host.onEvent((name, payload) => router?.broadcast(name, payload));
    log(`host ready for ${data.root}`);
    return host;
  },
  createWindow: () => {
    if (!router) throw new Error('the host services are not ready');
    return createMainWindow({ preload: SHELL_PATHS.preload, icon: SHELL_PATHS.appIcon, router });
  },
  createTray: (onAction) => {
    const t = createTray(SHELL_PATHS.assets, onAction);
    trayLast = t.last;
    return t;
  },
  installMenu: installAppMenu,
});

// Signals from a terminal end the app the same way as Quit: VM first.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void shell?.quit());
