// The real main process (electron/shell/main/entry.mjs → app.ts → electron-ports.ts) under plain Node,
// with a recording stand-in for the 'electron' module (shell-fake-electron.mjs): the window's
// security options and URL, the app:// protocol and session rules, IPC reaching the real host,
// the tray and app menu, a first start that fails fast (no VM image here) shown in tray and window,
// and Quit ending the process after the host shut down. It checks the Electron glue where
// Electron's binary cannot run; e2e/electron-app.e2e.ts runs the same in Electron where it can.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildRenderer } from '../../electron/node-host/cli/dashboard-command.ts';
import { SHELL_PATHS } from '../../electron/shell/main/paths.ts';
import { buildPreload } from '../../electron/shell/preload/build.ts';

const FAKE = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'shell-fake-electron.mjs')).href;
const dataUrl = (src: string): string => `data:text/javascript,${encodeURIComponent(src)}`;
const HOOKS = dataUrl(
  `export async function resolve(s, c, next) { return s === 'electron' ? { url: ${JSON.stringify(FAKE)}, shortCircuit: true } : next(s, c); }`,
);
const REGISTER = dataUrl(`import { register } from 'node:module'; register(${JSON.stringify(HOOKS)});`);

type Snapshot = {
  name: string;
  privileged: Array<{ scheme: string; privileges: Record<string, boolean> }>;
  protocols: string[];
  webRequest: string[];
  permissionHandlers: number;
  ipc: string[];
  dialogs: string[];
  opened: string | null;
  appMenu: string[] | null;
  windows: Array<{
    options: { webPreferences: Record<string, unknown> };
    url: string;
    title: string;
    progress: number | null;
    visible: boolean;
    scripts: string[];
    sent: number;
  }>;
  tray: { image: string; tooltip: string; menu: string[]; destroyed: boolean } | null;
};

class MainProcess {
  child: ChildProcess;
  private nextId = 1;
  private waiting = new Map<number, (v: unknown) => void>();
  exitCode: Promise<number | null>;
  output = '';
  exitMessage: number | null = null;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', REGISTER, SHELL_PATHS.entry], {
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.output += d;
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.output += d;
    });
    this.child.on('message', (m: { type: string; id?: number; value?: unknown; code?: number }) => {
      if (m.type === 'reply') {
        this.waiting.get(m.id!)?.(m.value);
        this.waiting.delete(m.id!);
      }
      if (m.type === 'exit') this.exitMessage = m.code ?? null;
    });
    this.exitCode = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  ask<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${cmd}; output:\n${this.output}`)), 20_000);
      this.waiting.set(id, (v) => {
        clearTimeout(timer);
        resolve(v as T);
      });
      this.child.send({ cmd, id, ...args });
    });
  }

  async until(what: string, ok: (s: Snapshot) => boolean, ms = 60_000): Promise<Snapshot> {
    const end = Date.now() + ms;
    for (;;) {
      const s = await this.ask<Snapshot>('state').catch(() => null);
      if (s && ok(s)) return s;
      if (Date.now() > end)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s?.tray)}\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('main process with Electron stood in', { timeout: 180_000 }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bsm-'));
  const env = {
    ...process.env,
    BERTH_HOME: path.join(root, 'h'),
    DOCKER_CONFIG: path.join(root, 'docker'),
    BERTH_IMAGE_DIR: path.join(root, 'no-image'),
  };
  let main: MainProcess;
  before(async () => {
    if (!fs.existsSync(path.join(SHELL_PATHS.rendererDir, 'index.html'))) await buildRenderer();
    await buildPreload();
    main = new MainProcess(env);
  });
  after(async () => {
    if (main.child.exitCode === null) main.child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('opens the renderer in an isolated, sandboxed window on app://berth', async () => {
    const s = await main.until('a window', (x) => x.windows.length > 0 && x.windows[0]!.url !== null);
    const w = s.windows[0]!;
    assert.equal(w.url, 'app://berth/index.html');
    assert.deepEqual(
      [
        w.options.webPreferences.contextIsolation,
        w.options.webPreferences.sandbox,
        w.options.webPreferences.nodeIntegration,
      ],
      [true, true, false],
    );
    assert.equal(w.options.webPreferences.preload, SHELL_PATHS.preload);
    assert.equal(s.name, 'Berth');
    assert.deepEqual(
      s.privileged.map((p) => p.scheme),
      ['app'],
    );
    assert.deepEqual(s.protocols, ['app']);
    assert.deepEqual(s.webRequest, ['onBeforeRequest', 'onHeadersReceived']);
    assert.equal(s.permissionHandlers, 2);
    assert.deepEqual(s.ipc, ['berth:call']);
    assert.deepEqual(s.appMenu, ['File', 'Edit', 'View', 'Window', 'help']);
  });

  it('serves the renderer with the CSP, loads nothing remote, grants no permission', async () => {
    const page = await main.ask<{ status: number; csp: string; body: string }>('protocol', {
      url: 'app://berth/index.html',
    });
    assert.equal(page.status, 200);
    assert.match(page.csp, /default-src 'none'/);
    assert.match(page.body, /<div id="root">/);
    assert.deepEqual(await main.ask('request', { url: 'https://example.com/x.js' }), { cancel: true });
    assert.deepEqual(await main.ask('request', { url: 'app://berth/assets/x.js' }), { cancel: false });
    assert.equal(await main.ask('permission'), false);
    assert.equal(await main.ask('navigate', { url: 'https://example.com/' }), true, 'navigation away prevented');
    assert.equal(await main.ask('navigate', { url: 'app://berth/index.html' }), false);
    assert.deepEqual(await main.ask('open', { url: 'https://docs.docker.com/' }), { action: 'deny' });
    assert.equal(
      (await main.ask<Snapshot>('state')).opened,
      'https://docs.docker.com/',
      'https links go to the system browser',
    );
  });

  it("answers IPC calls from the window with the real host's services, and refuses other frames", async () => {
    const st = await main.ask<{ ok: boolean; output: { dataDir: string } }>('call', {
      payload: { name: 'engine.status', input: {} },
    });
    assert.equal(st.ok, true);
    assert.equal(st.output.dataDir, env.BERTH_HOME);
    const settings = await main.ask<{ ok: boolean; output: { settings: { useContainerdSnapshotter: boolean } } }>(
      'call',
      { payload: { name: 'settings.get', input: {} } },
    );
    assert.equal(settings.output.settings.useContainerdSnapshotter, true);
    const foreign = await main.ask<{ ok: boolean; error: { message: string } }>('call', {
      payload: { name: 'engine.status', input: {} },
      frameUrl: 'https://example.com/',
    });
    assert.equal(foreign.ok, false);
    assert.match(foreign.error.message, /Berth dashboard only/);
  });

  it('shows a failed first start in the tray and the window title', async () => {
    const s = await main.until('the failed start', (x) => /failed/.test(x.tray?.tooltip ?? ''));
    assert.match(s.tray!.image, /assets\/tray\/error@2x\.png$/);
    assert.match(s.tray!.tooltip, /VM image not found/);
    assert.deepEqual(s.tray!.menu.slice(2), [
      '---',
      'Dashboard',
      'Settings',
      'Restart',
      'Troubleshoot',
      '---',
      'Quit Berth',
    ]);
    assert.match(s.windows[0]!.title, /failed to start: VM image not found/);
    assert.ok(s.windows[0]!.sent > 0, 'events reached the window');
  });

  it('tray Settings opens that view (#/settings); closing the window hides it', async () => {
    await main.ask('tray', { label: 'Settings' });
    const s = await main.until('the settings view', (x) =>
      x.windows[0]!.scripts.some((sc) => sc.includes('"#/settings"')),
    );
    assert.equal(s.windows[0]!.visible, true);
    assert.deepEqual(await main.ask('close'), { prevented: true, visible: false });
    await main.ask('second-instance');
    assert.equal((await main.ask<Snapshot>('state')).windows[0]!.visible, true, 'a second launch shows it again');
  });

  it('Quit holds the app until the host shut down, then exits 0 and frees the data dir', async () => {
    assert.equal(await main.ask('quit'), true, 'before-quit was held');
    assert.equal(await main.exitCode, 0);
    assert.equal(main.exitMessage, 0);
    assert.equal(fs.existsSync(path.join(env.BERTH_HOME, 'run', 'host.pid')), false);
  });
});
