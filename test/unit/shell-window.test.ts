// The main window's security: its webPreferences, the CSP, where it may navigate, that it opens
// no window, loads nothing remote, and that app://berth/ serves the built renderer and nothing else.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRenderer } from '../../electron/node-host/cli/dashboard-command.ts';
import { rendererHandler, resolveAppRequest } from '../../electron/shell/main/renderer-protocol.ts';
import { SHELL_PATHS } from '../../electron/shell/main/paths.ts';
import { navigationScript } from '../../electron/shell/main/view-navigation.ts';
import {
  CSP,
  RENDERER_URL,
  mainWindowOptions,
  navigationAllowed,
  requestAllowed,
  windowOpenDecision,
} from '../../electron/shell/main/window-options.ts';

describe('main window options', () => {
  const o = mainWindowOptions({ preload: '/app/dist/electron/preload.cjs', icon: '/app/assets/icons/256x256.png' });
  it('isolates the page: context isolation, sandbox, no Node, no webview', () => {
    const w = o.webPreferences!;
    assert.equal(w.contextIsolation, true);
    assert.equal(w.sandbox, true);
    assert.equal(w.nodeIntegration, false);
    assert.equal(w.nodeIntegrationInWorker, false);
    assert.equal(w.nodeIntegrationInSubFrames, false);
    assert.equal(w.webSecurity, true);
    assert.equal(w.allowRunningInsecureContent, false);
    assert.equal(w.webviewTag, false);
    assert.equal(w.preload, '/app/dist/electron/preload.cjs');
    assert.equal(o.show, false, 'shown when ready, not blank');
  });

  it('has a strict CSP: nothing inline, no eval, no connections, no frames', () => {
    assert.match(CSP, /default-src 'none'/);
    assert.match(CSP, /script-src 'self'(;|$)/);
    assert.match(CSP, /connect-src 'none'/);
    assert.match(CSP, /frame-ancestors 'none'/);
    assert.match(CSP, /object-src 'none'/);
    assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval|\*|http:|https:|ws:/);
  });

  it('navigates only within the app; window.open never opens a window', () => {
    assert.equal(navigationAllowed(RENDERER_URL), true);
    assert.equal(navigationAllowed('app://berth/index.html#x'), true);
    for (const u of [
      'https://example.com/',
      'http://127.0.0.1:8080/',
      'file:///etc/passwd',
      'app://evil/index.html',
      'javascript:alert(1)',
      'not a url',
    ]) {
      assert.equal(navigationAllowed(u), false, u);
    }
    assert.deepEqual(windowOpenDecision('https://docs.docker.com/desktop/'), {
      action: 'deny',
      openExternally: 'https://docs.docker.com/desktop/',
    });
    for (const u of [
      'http://example.com/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'https://user:pw@example.com/',
      'app://berth/index.html',
    ]) {
      assert.deepEqual(windowOpenDecision(u), { action: 'deny' }, u);
    }
  });

  it("lets the session load the app's own files only", () => {
    assert.equal(requestAllowed('app://berth/assets/index.js'), true);
    for (const u of [
      'https://cdn.example.com/x.js',
      'http://127.0.0.1:2375/containers/json',
      'ws://127.0.0.1:1/',
      'file:///etc/passwd',
    ]) {
      assert.equal(requestAllowed(u), false, u);
    }
  });

  it('opens a view by its route in the URL fragment, with nothing else in the script', () => {
    const s = navigationScript('settings');
    assert.match(s, /location\.hash = "#\/settings"/);
    assert.match(navigationScript('troubleshoot'), /"#\/troubleshoot"/);
    assert.doesNotMatch(s, /fetch|XMLHttpRequest|eval|berth\./);
  });
});

describe('app://berth/ protocol', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-app-proto-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><script type="module" src="/assets/a.js"></script>');
  fs.writeFileSync(path.join(root, 'assets', 'a.js'), 'console.log(1)');
  fs.writeFileSync(path.join(os.tmpdir(), 'berth-secret.txt'), 'secret');
  const handle = rendererHandler(root);

  it("serves the renderer's files with the CSP and their types", async () => {
    const r = await handle(new Request('app://berth/'));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-security-policy'), CSP);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-type')!, /text\/html/);
    const js = await handle(new Request('app://berth/assets/a.js'));
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /text\/javascript/);
    assert.equal(await js.text(), 'console.log(1)');
  });

  it('refuses other hosts, traversal, missing files and writes', async () => {
    assert.equal((await handle(new Request('app://evil/index.html'))).status, 403);
    // Whatever the spelling, a request resolves inside the renderer's directory or not at all.
    for (const u of [
      'app://berth/%2e%2e/berth-secret.txt',
      'app://berth/..%2fberth-secret.txt',
      'app://berth/a/..%2f..%2f..%2fberth-secret.txt',
      `app://berth/${encodeURIComponent(path.join(os.tmpdir(), 'berth-secret.txt'))}`,
      'app://berth/%5c..%5cberth-secret.txt',
    ]) {
      const r = resolveAppRequest(u, root);
      if (r.ok) assert.ok(r.file.startsWith(root + path.sep), `${u} -> ${r.file}`);
    }
    assert.equal(resolveAppRequest('app://berth/..%2fberth-secret.txt', root).ok, false);
    const traversal = await handle(new Request('app://berth/%2e%2e%2fberth-secret.txt'));
    assert.notEqual(traversal.status, 200);
    assert.doesNotMatch(await traversal.text(), /secret/);
    assert.equal((await handle(new Request('app://berth/nope.js'))).status, 404);
    assert.equal((await handle(new Request('app://berth/index.html', { method: 'POST', body: 'x' }))).status, 405);
  });

  it('says how to build when the renderer is missing', async () => {
    const r = await rendererHandler(path.join(root, 'absent'))(new Request('app://berth/'));
    assert.equal(r.status, 404);
    assert.match(await r.text(), /The dashboard is not built: run 'npm start'/);
  });
});

describe('the built renderer over app://berth/', () => {
  before(async () => {
    if (!fs.existsSync(path.join(SHELL_PATHS.rendererDir, 'index.html'))) await buildRenderer();
  });

  it('loads index.html and every script and stylesheet it names', async () => {
    const handle = rendererHandler(SHELL_PATHS.rendererDir);
    const html = await (await handle(new Request(RENDERER_URL))).text();
    const refs = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(
      refs.some((r) => r.endsWith('.js')),
      'a script',
    );
    for (const ref of refs) {
      const r = await handle(new Request(`app://berth${ref}`));
      assert.equal(r.status, 200, ref);
    }
    assert.doesNotMatch(html, /<script>(?!<\/script>)/, 'no inline script (the CSP would block it)');
  });
});
