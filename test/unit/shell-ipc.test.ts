// The desktop shell's IPC: the preload's bridge and the main process's router, joined by an
// in-memory IPC, reach the headless host's own ApiHandler, so a call answers exactly as it does
// over the WebSocket. Payloads are checked on both sides; only the app's own windows may call.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';
import { fakeServices } from '../../e2e/fixtures/fake-services.ts';
import { ApiClient } from '../../electron/node-host/api/client.ts';
import { callNames } from '../../electron/node-host/api/contract.ts';
import { ApiHandler } from '../../electron/node-host/services/api-handler.ts';
import type { ClientContext } from '../../electron/node-host/api/client-context.ts';
import { IpcRouter } from '../../electron/shell/main/ipc-router.ts';
import { createBridge, type BerthBridge } from '../../electron/shell/preload/bridge.ts';
import { buildPreload } from '../../electron/shell/preload/build.ts';
import { IPC_CHANNELS } from '../../electron/shell/preload/ipc-protocol.ts';
import { FakeIpcMain, FakeWindow } from './shell-fakes.ts';

function setup(opts: { images?: number } = {}) {
  const svc = fakeServices({ images: opts.images ?? 3, store: true, settings: true });
  const router = new IpcRouter(new ApiHandler(svc, (name, data) => router.broadcast(name, data)));
  const ipcMain = new FakeIpcMain();
  router.attach(ipcMain);
  const win = new FakeWindow(ipcMain);
  router.addClient(win);
  const bridge = createBridge(win.ipcRenderer);
  return { svc, router, ipcMain, win, bridge, client: new ApiClient(bridge) };
}

/** One raw frame through the bridge, as a page that bypasses ApiClient would send it: the frame answered. */
function rawFrame(
  bridge: BerthBridge,
  frame: unknown,
): Promise<{ type: string; error?: { message: string; status?: number }; output?: unknown }> {
  return new Promise((resolve) => {
    bridge.onFrame((f) => {
      if ((f as { type: string }).type !== 'event') resolve(f as never);
    });
    bridge.send(frame as never);
  });
}

const ctx = (): ClientContext => ({ send: () => undefined, subscriptions: new Map() });

describe('shell IPC', () => {
  it('answers a call with the same implementation as the headless host', async () => {
    const { svc, client } = setup();
    const viaIpc = await client.call('engine.status', {});
    const direct = await new ApiHandler(svc, () => undefined).handle('engine.status', {}, ctx());
    assert.deepEqual(viaIpc, direct);
    assert.equal(viaIpc.state, 'running');
    const images = await client.call('images.list', {});
    assert.equal(images.images.length, 3);
    const settings = await client.call('settings.get', {});
    assert.equal(settings.settings.useContainerdSnapshotter, true);
  });

  it("carries the renderer's own ApiClient (send/onFrame), results and errors included", async () => {
    const { svc, client } = setup({ images: 5 });
    assert.equal((await client.call('images.list', {})).images.length, 5);
    svc.engine.set({ state: 'stopped' });
    await assert.rejects(client.call('containers.list', {}), /the Docker Engine is not running \(state: stopped\)/);
  });

  it('pushes contract events to every window, checked against the contract', async () => {
    const { svc, router, client, win } = setup();
    const seen: string[] = [];
    const off = client.onEvent((e) => {
      if (e.name === 'engine.status') seen.push(e.data.state);
    });
    router.broadcast('engine.status', { ...svc.engine.status(), state: 'starting' });
    router.broadcast('engine.status', { state: 'nonsense' }); // malformed: dropped
    win.send(IPC_CHANNELS.event, { name: 'not.an.event', data: {} }); // unknown: dropped
    assert.deepEqual(seen, ['starting']);
    off();
    router.broadcast('engine.status', svc.engine.status());
    assert.deepEqual(seen, ['starting'], 'unsubscribed');
  });

  it('checks input in the preload before anything crosses IPC', async () => {
    const { bridge, win } = setup();
    for (const [frame, why, status] of [
      [{ type: 'call', id: 1, name: 'containers.start', input: { id: 42 } }, /bad input for containers.start: id/, 400],
      [{ type: 'call', id: 2, name: 'no.such', input: {} }, /no such call: no.such/, 404],
      [{ type: 'call', id: 3, name: 'engine.status', input: { extra: 1 } }, /bad input for engine.status/, 400],
      [{ type: 'call', id: 4, name: 'engine.status' }, /malformed frame/, 400],
    ] as const) {
      const reply = await rawFrame(bridge, frame);
      assert.equal(reply.type, 'error', JSON.stringify(frame));
      assert.match(reply.error?.message ?? '', why);
      assert.equal(reply.error?.status, status);
    }
    assert.equal(win.invokes, 0);
  });

  it('checks every payload again in the main process (a page that bypasses the preload)', async () => {
    const { win } = setup();
    const raw = (payload: unknown) => win.ipcRenderer.invoke(IPC_CHANNELS.call, payload);
    for (const [payload, why] of [
      [undefined, /malformed call/],
      ['engine.status', /malformed call/],
      [{ name: 'engine.status', input: {}, more: 1 }, /malformed call/],
      [{ name: 42 }, /malformed call: name/],
      [{ name: 'rm -rf', input: {} }, /no such call/],
      [{ name: 'containers.remove', input: { id: 'x' } }, /bad input for containers.remove: force/],
    ] as const) {
      const reply = (await raw(payload)) as { ok: boolean; error?: { message: string } };
      assert.equal(reply.ok, false, JSON.stringify(payload));
      assert.match(reply.error!.message, why);
    }
    assert.deepEqual(await raw({ name: 'containers.remove', input: { id: 'x', force: true } }), {
      ok: true,
      output: {},
    });
  });

  it('refuses calls from windows it did not register and from other origins', async () => {
    const { ipcMain, win } = setup();
    const stranger = new FakeWindow(ipcMain);
    await assert.rejects(
      new ApiClient(createBridge(stranger.ipcRenderer)).call('engine.status', {}),
      /not a Berth window/,
    );
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'app://other/index.html', null]) {
      win.frameUrl = url;
      await assert.rejects(
        new ApiClient(createBridge(win.ipcRenderer)).call('engine.status', {}),
        /accepted from the Berth dashboard only/,
        String(url),
      );
    }
  });

  it("stops a window's live logs when it reloads, crashes or closes", async () => {
    const { svc, client, win, router } = setup();
    let stops = 0;
    svc.docker.followLogs = async () => () => {
      stops++;
    };
    await client.call('containers.followLogs', { id: 'c1', tail: 10 });
    win.emitLifecycle('did-navigate');
    assert.equal(stops, 1);
    await client.call('containers.followLogs', { id: 'c1', tail: 10 });
    win.emitLifecycle('render-process-gone');
    assert.equal(stops, 2);
    await client.call('containers.followLogs', { id: 'c1', tail: 10 });
    assert.equal(router.clientCount, 1);
    win.emitLifecycle('destroyed');
    assert.equal(stops, 3);
    assert.equal(router.clientCount, 0);
    router.broadcast('engine.status', svc.engine.status()); // a destroyed window is not sent to
  });

  it('exposes one client API, the frame pair that ApiClient speaks, nothing else', () => {
    const { bridge } = setup();
    assert.deepEqual(Object.keys(bridge).sort(), ['onFrame', 'send']);
  });
});

describe('the built preload bundle', () => {
  let code = '';
  before(async () => {
    code = fs.readFileSync(await buildPreload(), 'utf8');
  });

  it('requires only electron and exposes exactly window.berth over the contract', async () => {
    const { ipcMain, win } = setup();
    const exposed: Record<string, unknown> = {};
    const required: string[] = [];
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: unknown) => {
          exposed[key] = api;
        },
      },
      ipcRenderer: win.ipcRenderer,
    };
    const module = { exports: {} };
    const requireShim = (id: string): unknown => {
      required.push(id);
      if (id === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${id}`);
    };
    vm.runInNewContext(code, {
      require: requireShim,
      module,
      exports: module.exports,
      console,
      TextEncoder,
      TextDecoder,
      URL,
      setTimeout,
      clearTimeout,
      queueMicrotask,
    });
    assert.deepEqual(required, ['electron']);
    assert.deepEqual(Object.keys(exposed), ['berth']);
    const api = exposed.berth as BerthBridge;
    assert.deepEqual(Object.keys(api).sort(), ['onFrame', 'send']);
    assert.equal((await new ApiClient(api).call('engine.status', {})).state, 'running');
    assert.deepEqual(ipcMain.channels, [IPC_CHANNELS.call]);
    assert.ok(callNames.length > 20);
  });
});
