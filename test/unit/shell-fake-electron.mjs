// A stand-in for the 'electron' module, for running the real main process (electron/shell/main/app.ts)
// under plain Node in test/unit/shell-main.test.ts. It records what the app asks of Electron and
// lets the test drive it (IPC calls, navigation, window.open, tray clicks, quit) over the child's
// IPC channel. Test code only.
import { EventEmitter } from 'node:events';

const rec = { privileged: [], protocols: {}, webRequest: [], permissionHandlers: 0, windows: [], tray: null, appMenu: null, ipc: {}, name: null, dialogs: [] };
let nextId = 1;

class Emitter extends EventEmitter {}

export const app = new (class extends Emitter {
  isPackaged = false;
  setName(n) { rec.name = n; }
  requestSingleInstanceLock() { return process.env.FAKE_ELECTRON_LOCKED !== '1'; }
  whenReady() { return Promise.resolve(); }
  quit() { const e = { prevented: false, preventDefault() { this.prevented = true; } }; this.emit('before-quit', e); if (!e.prevented) this.exit(0); return e.prevented; }
  exit(code) { send({ type: 'exit', code }); setTimeout(() => process.exit(code), 20); }
})();

export const protocol = {
  registerSchemesAsPrivileged(list) { rec.privileged.push(...list); },
  handle(scheme, handler) { rec.protocols[scheme] = handler; },
};

export const session = {
  defaultSession: {
    webRequest: {
      onBeforeRequest(fn) { rec.webRequest.push('onBeforeRequest'); rec.beforeRequest = fn; },
      onHeadersReceived(fn) { rec.webRequest.push('onHeadersReceived'); rec.headersReceived = fn; },
    },
    setPermissionRequestHandler(fn) { rec.permissionHandlers++; rec.permissionRequest = fn; },
    setPermissionCheckHandler(fn) { rec.permissionHandlers++; rec.permissionCheck = fn; },
  },
};

export class BrowserWindow extends Emitter {
  constructor(options) {
    super();
    this.options = options;
    this.url = null; this.title = options.title; this.progress = null; this.visible = false; this.destroyed = false;
    const wc = new Emitter();
    wc.id = nextId++;
    wc.sent = [];
    wc.send = (channel, ...args) => wc.sent.push({ channel, args });
    wc.isDestroyed = () => this.destroyed;
    wc.isLoading = () => false;
    wc.scripts = [];
    wc.executeJavaScript = async (s) => { wc.scripts.push(s); return true; };
    wc.setWindowOpenHandler = (fn) => { wc.openHandler = fn; };
    this.webContents = wc;
    rec.windows.push(this);
  }
  loadURL(url) { this.url = url; setTimeout(() => { this.emit('ready-to-show'); this.webContents.emit('did-finish-load'); }, 5); return Promise.resolve(); }
  show() { this.visible = true; } focus() {} hide() { this.visible = false; }
  isMinimized() { return false; } restore() {}
  setProgressBar(p) { this.progress = p; } setTitle(t) { this.title = t; }
  isDestroyed() { return this.destroyed; }
}

export class Tray extends Emitter {
  constructor(image) { super(); this.image = image; this.menu = null; this.tooltip = ''; this.destroyed = false; rec.tray = this; }
  setImage(i) { this.image = i; } setToolTip(t) { this.tooltip = t; } setContextMenu(m) { this.menu = m; }
  isDestroyed() { return this.destroyed; } destroy() { this.destroyed = true; }
}

export const Menu = {
  buildFromTemplate(template) { return { template }; },
  setApplicationMenu(m) { rec.appMenu = m; },
};
export const nativeImage = { createFromPath: (p) => ({ path: p }) };
export const ipcMain = {
  handle(channel, fn) { if (rec.ipc[channel]) throw new Error(`second handler for ${channel}`); rec.ipc[channel] = fn; },
  removeHandler(channel) { delete rec.ipc[channel]; },
};
export const dialog = {
  async showMessageBox(o) { rec.dialogs.push(o.message); return { response: 1 }; },
  showErrorBox(title, message) { rec.dialogs.push(`${title}: ${message}`); },
};
export const shell = { openExternal: async (url) => { rec.opened = url; } };
export const contextBridge = {};
export const ipcRenderer = {};
export default { app, protocol, session, BrowserWindow, Tray, Menu, nativeImage, ipcMain, dialog, shell };

function send(m) { process.send?.(m); }
const labels = (items) => items.map((i) => i.label ?? i.role ?? (i.type === 'separator' ? '---' : '?'));

function snapshot() {
  return {
    name: rec.name, privileged: rec.privileged, protocols: Object.keys(rec.protocols), webRequest: rec.webRequest, permissionHandlers: rec.permissionHandlers,
    ipc: Object.keys(rec.ipc), dialogs: rec.dialogs, opened: rec.opened ?? null,
    windows: rec.windows.map((w) => ({ options: w.options, url: w.url, title: w.title, progress: w.progress, visible: w.visible, scripts: w.webContents.scripts, sent: w.webContents.sent.length })),
    tray: rec.tray && { image: rec.tray.image.path, tooltip: rec.tray.tooltip, menu: rec.tray.menu ? labels(rec.tray.menu.template) : [], destroyed: rec.tray.destroyed },
    appMenu: rec.appMenu ? labels(rec.appMenu.template) : null,
  };
}

process.on('message', async (m) => {
  const w = rec.windows[rec.windows.length - 1];
  const reply = (value) => send({ type: 'reply', id: m.id, value });
  try {
    switch (m.cmd) {
      case 'state': return reply(snapshot());
      case 'call': return reply(await rec.ipc['berth:call']({ sender: w.webContents, senderFrame: { url: m.frameUrl ?? w.url } }, m.payload));
      case 'protocol': {
        const res = await rec.protocols.app(new Request(m.url));
        return reply({ status: res.status, csp: res.headers.get('content-security-policy'), body: (await res.text()).slice(0, 4000) });
      }
      case 'request': return rec.beforeRequest({ url: m.url }, (r) => reply(r));
      case 'permission': return rec.permissionRequest(null, 'media', (granted) => reply(granted));
      case 'navigate': {
        const e = { prevented: false, preventDefault() { this.prevented = true; } };
        w.webContents.emit('will-navigate', e, m.url);
        return reply(e.prevented);
      }
      case 'open': return reply(w.webContents.openHandler({ url: m.url }));
      case 'close': {
        const e = { prevented: false, preventDefault() { this.prevented = true; } };
        w.emit('close', e);
        return reply({ prevented: e.prevented, visible: w.visible });
      }
      case 'tray': {
        const item = rec.tray.menu.template.find((i) => i.label === m.label);
        item.click();
        return reply(true);
      }
      case 'second-instance': app.emit('second-instance'); return reply(true);
      case 'quit': return reply(app.quit());
    }
  } catch (e) { reply({ error: e.message }); }
});
