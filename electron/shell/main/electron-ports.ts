// Electron's side of the shell's ports: the window, the tray, the menu, the session's security
// and IPC. Thin on purpose: every decision is made in the pure modules it calls.
import path from 'node:path';
import {
  BrowserWindow,
  Menu,
  Tray,
  app,
  dialog,
  ipcMain,
  nativeImage,
  protocol,
  session,
  shell,
  type WebContents,
} from 'electron';
import { appMenuTemplate, type MenuActions, type View } from './app-menu.ts';
import type { IpcRouter, SenderLike } from './ipc-router.ts';
import { rendererHandler } from './renderer-protocol.ts';
import type { AppPort, TrayPort, WindowPort } from './shell.ts';
import { trayIconFile, trayMenuTemplate, type TrayAction, type TrayModel, type TrayState } from './tray-model.ts';
import { navigationScript } from './view-navigation.ts';
import {
  APP_SCHEME,
  CSP,
  RENDERER_URL,
  mainWindowOptions,
  navigationAllowed,
  requestAllowed,
  windowOpenDecision,
} from './window-options.ts';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** The default session serves the renderer, loads nothing remote and grants no permission. */
export function secureSession(rendererDir: string): void {
  protocol.handle(APP_SCHEME, rendererHandler(rendererDir));
  const ses = session.defaultSession;
  ses.webRequest.onBeforeRequest((details, cb) => cb({ cancel: !requestAllowed(details.url) }));
  ses.webRequest.onHeadersReceived((details, cb) =>
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }),
  );
  ses.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  ses.setPermissionCheckHandler(() => false);
}

export const electronApp: AppPort = {
  requestSingleInstanceLock: () => app.requestSingleInstanceLock(),
  whenReady: () => app.whenReady(),
  on: (event: string, listener: (...a: never[]) => void) => app.on(event as 'ready', listener as () => void),
  quit: () => app.quit(),
  exit: (code) => app.exit(code),
};

// The router compares senders by identity: one narrow view per webContents.
const senderViews = new WeakMap<WebContents, SenderLike>();
function senderView(wc: WebContents): SenderLike {
  let s = senderViews.get(wc);
  if (!s) {
    s = {
      id: wc.id,
      send: (channel, ...args) => wc.send(channel, ...args),
      isDestroyed: () => wc.isDestroyed(),
      on: (event, listener) => wc.on(event as 'destroyed', listener),
    };
    senderViews.set(wc, s);
  }
  return s;
}

export function attachIpc(router: IpcRouter): void {
  router.attach({
    handle: (channel, listener) =>
      ipcMain.handle(channel, (event, ...args: unknown[]) =>
        listener({ sender: senderView(event.sender), senderFrame: event.senderFrame }, ...args),
      ),
    removeHandler: (channel) => ipcMain.removeHandler(channel),
  });
}

export function createMainWindow(opts: { preload: string; icon: string; router: IpcRouter }): WindowPort {
  const win = new BrowserWindow(mainWindowOptions({ preload: opts.preload, icon: opts.icon }));
  const wc = win.webContents;
  opts.router.addClient(senderView(wc));
  const guard = (e: { preventDefault(): void }, url: string): void => {
    if (!navigationAllowed(url)) e.preventDefault();
  };
  wc.on('will-navigate', guard);
  wc.on('will-redirect', guard);
  wc.on('will-attach-webview', (e) => e.preventDefault());
  wc.setWindowOpenHandler(({ url }) => {
    const d = windowOpenDecision(url);
    if (d.openExternally) void shell.openExternal(d.openExternally);
    return { action: 'deny' };
  });
  // The title shows start-up progress; the page's <title> must not overwrite it.
  win.on('page-title-updated', (e) => e.preventDefault());
  let closeAllowed = false;
  win.on('close', (e) => {
    if (!closeAllowed) {
      e.preventDefault();
      win.hide();
    }
  });

  let ready = false;
  let wantShow = false;
  let pendingView: View | undefined;
  const navigate = (v: View): void => {
    void wc.executeJavaScript(navigationScript(v)).catch(() => undefined);
  };
  wc.on('did-finish-load', () => {
    if (pendingView) {
      navigate(pendingView);
      pendingView = undefined;
    }
  });
  win.once('ready-to-show', () => {
    ready = true;
    if (wantShow) {
      win.show();
      win.focus();
    }
  });
  void win.loadURL(RENDERER_URL);

  return {
    show(v) {
      if (win.isMinimized()) win.restore();
      if (ready) {
        win.show();
        win.focus();
      } else wantShow = true;
      if (v) {
        if (wc.isLoading()) pendingView = v;
        else navigate(v);
      }
    },
    setProgress(p) {
      if (win.isDestroyed()) return;
      win.setProgressBar(p ? p.fraction : -1);
      win.setTitle(p ? p.title : 'Berth');
    },
    allowClose() {
      closeAllowed = true;
    },
    isDestroyed: () => win.isDestroyed(),
  };
}

export function createTray(
  assetsDir: string,
  onAction: (a: TrayAction) => void,
): TrayPort & { last(): TrayModel | null } {
  const icon = (s: TrayState): Electron.NativeImage =>
    nativeImage.createFromPath(path.join(assetsDir, trayIconFile(s, process.platform)));
  const tray = new Tray(icon('stopped'));
  // Windows opens the dashboard on a click; elsewhere a click opens the menu.
  if (process.platform === 'win32') tray.on('click', () => onAction('dashboard'));
  let state: TrayState | null = null;
  let last: TrayModel | null = null;
  return {
    render(model) {
      last = model;
      if (model.state !== state) {
        tray.setImage(icon(model.state));
        state = model.state;
      }
      tray.setToolTip(model.tooltip);
      tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(model, onAction)));
    },
    destroy() {
      if (!tray.isDestroyed()) tray.destroy();
    },
    last: () => last,
  };
}

export function installAppMenu(actions: MenuActions): void {
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(appMenuTemplate(process.platform, actions, { devTools: !app.isPackaged })),
  );
}

export async function askTakeOver(pid: number): Promise<boolean> {
  const r = await dialog.showMessageBox({
    type: 'question',
    buttons: ['Stop it and continue', 'Quit'],
    defaultId: 0,
    cancelId: 1,
    message: 'Berth is already running in the background',
    detail: `The berth command started a Berth host (pid ${pid}) for this data dir. Berth can stop its VM (running containers stop) and take over, or quit.`,
  });
  return r.response === 0;
}

export async function showFatal(message: string): Promise<void> {
  dialog.showErrorBox('Berth could not start', message);
}
