// The shell's host services for real (no VM is booted): the Berth host with its settings and
// control API, the dashboard's ApiHandler behind the IPC router, a first run on defaults, a
// `berth start` host already running (take over or give up), and a shutdown that frees the data dir.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { ControlClient, callHost, hostPid } from '../../electron/node-host/control/control-client.ts';
import { isFirstRun } from '../../electron/shell/main/first-run.ts';
import { IpcRouter } from '../../electron/shell/main/ipc-router.ts';
import { startShellHost, type ShellHost } from '../../electron/shell/main/shell-host.ts';
import { createBridge } from '../../electron/shell/preload/bridge.ts';
import { ApiClient } from '../../electron/node-host/api/client.ts';
import { FakeIpcMain, FakeWindow } from './shell-fakes.ts';

const roots: string[] = [];
function dataDir(): DataDir {
  // Short: unix socket paths are limited to ~100 bytes.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bsh-'));
  roots.push(root);
  return new DataDir(path.join(root, 'h'));
}
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function wire(host: ShellHost) {
  const router = new IpcRouter(host.handler);
  host.onEvent((n, d) => router.broadcast(n, d));
  const ipc = new FakeIpcMain();
  router.attach(ipc);
  const win = new FakeWindow(ipc);
  router.addClient(win);
  return new ApiClient(createBridge(win.ipcRenderer));
}

describe('shell host services', () => {
  it('first run: defaults with the containerd store, the engine stopped until started, the CLI reaching the same host', async () => {
    const data = dataDir();
    assert.equal(isFirstRun(data), true);
    const host = await startShellHost(data, { dockerContext: false });
    try {
      assert.equal(isFirstRun(data), false, 'the settings file is written on the first start');
      const bridge = wire(host);
      const st = await bridge.call('engine.status', {});
      assert.equal(st.state, 'stopped');
      assert.equal(st.dataDir, data.root);
      const settings = await bridge.call('settings.get', {});
      assert.equal(settings.settings.useContainerdSnapshotter, true, 'clean install: containerd image store');
      assert.ok(settings.limits.maxCpus >= 1);
      await assert.rejects(bridge.call('images.list', {}), /the Docker Engine is not running \(state: stopped\)/);
      // The control socket (the berth CLI) is served by the app's host, with the same contract.
      const viaCli = await callHost(data.controlSocket, 'engine.status', {});
      assert.deepEqual(viaCli, st);
      // A settings change made through the contract reaches the window as an event.
      const seen: boolean[] = [];
      bridge.onEvent((e) => {
        if (e.name === 'settings.changed') seen.push(e.data.settings.useContainerdSnapshotter);
      });
      const proposal = await bridge.call('settings.propose', { useContainerdSnapshotter: false });
      assert.equal(proposal.changes[0]?.key, 'useContainerdSnapshotter');
      const applied = await bridge.call('settings.apply', { useContainerdSnapshotter: false });
      assert.equal(applied.settings.useContainerdSnapshotter, false);
      // The CLI's connection gets the same events as the window.
      const cli = await ControlClient.connect(data.controlSocket);
      const cliSeen: string[] = [];
      cli.onEvent((e) => {
        if (e.name === 'settings.progress') cliSeen.push(e.data.message);
      });
      await bridge.call('settings.apply', { vm: { cpus: 1 } });
      await new Promise((r) => setTimeout(r, 50));
      cli.close();
      assert.deepEqual(seen, [false, false]);
      assert.ok(cliSeen.length > 0, "the apply's progress reached the control socket's client");
    } finally {
      await host.shutdown();
    }
    assert.equal(fs.existsSync(path.join(data.runDir, 'host.pid')), false, 'the data dir is free again');
    assert.equal(await hostPid(data.controlSocket), null);
  });

  it('shutdown stops the engine before the host goes away', async () => {
    const data = dataDir();
    let exited = false;
    const host = await startShellHost(data, {
      dockerContext: false,
      onExit: () => {
        exited = true;
      },
    });
    const order: string[] = [];
    const stop = host.host.engine.stop.bind(host.host.engine);
    host.host.engine.stop = async () => {
      order.push('engine.stop');
      await stop();
    };
    await host.shutdown();
    assert.deepEqual(order, ['engine.stop']);
    assert.equal(exited, true);
  });

  it('another host on the data dir: gives up with the reason, or takes over when allowed', async () => {
    const data = dataDir();
    let firstExited = false;
    const first = await startShellHost(data, {
      dockerContext: false,
      onExit: () => {
        firstExited = true;
      },
    });
    const asked: number[] = [];
    await assert.rejects(
      startShellHost(data, {
        dockerContext: false,
        takeOver: async (pid) => {
          asked.push(pid);
          return false;
        },
      }),
      /Berth is already running in the background .* \(pid \d+, started by the berth command\)\. Stop it with 'berth stop'/,
    );
    assert.deepEqual(asked, [process.pid]);
    assert.notEqual(await hostPid(data.controlSocket), null, 'giving up leaves the other host alone');
    const second = await startShellHost(data, {
      dockerContext: false,
      takeOver: async () => true,
      takeOverTimeoutMs: 10_000,
    });
    try {
      assert.equal(firstExited, true, 'the first host was shut down');
      assert.equal(await hostPid(data.controlSocket), process.pid);
      assert.equal((await wire(second).call('engine.status', {})).state, 'stopped');
    } finally {
      await second.shutdown();
      await first.shutdown();
    }
  });
});
