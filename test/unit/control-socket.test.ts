// The control socket speaks the one contract: the CLI's calls (settings, engine, host) over a real
// unix socket with the same ApiHandler and events the dashboard and the shell use: validation,
// progress events, one apply at a time, refusals keeping their kind, 0600.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import type { EngineStatus, StartStage } from '../../engine/host/engine-types.ts';
import { ApiError, type ApiEvent } from '../../electron/node-host/api/contract.ts';
import { ControlServer } from '../../electron/node-host/control/control-server.ts';
import { ControlClient, callHost, hostPid } from '../../electron/node-host/control/control-client.ts';
import { ApiHandler } from '../../electron/node-host/services/api-handler.ts';
import type { DashboardServices, DockerService } from '../../electron/node-host/services/services.ts';
import { HostEvents } from '../../electron/node-host/process/host-events.ts';
import type { EnginePort } from '../../electron/node-host/settings/engine-port.ts';
import { SettingsService } from '../../electron/node-host/settings/service.ts';
import { DataDirTroubleshoot } from '../../electron/node-host/services/troubleshoot.ts';

class HeldPort implements EnginePort {
  running = true;
  hold: Promise<void> | null = null;
  failEngine: string | null = null;
  wiped = 0;
  isRunning(): boolean {
    return this.running;
  }
  async applyEngineConfig(_cfg: unknown, onProgress: (m: string) => void): Promise<void> {
    onProgress('dockerd restarting');
    if (this.hold) await this.hold;
    if (this.failEngine) throw new Error(this.failEngine);
  }
  async restartVm(onProgress: (m: string) => void): Promise<void> {
    onProgress('vm restarting');
  }
  async wipeEngineData(onProgress: (m: string) => void): Promise<void> {
    this.wiped++;
    onProgress('wiping');
  }
}

/** An engine whose start goes through two stages, or fails at the second. */
class StagedEngine extends EventEmitter {
  failAt: string | null = null;
  st: EngineStatus = { state: 'stopped', dockerSocket: '/x/docker.sock', dataDir: '/x' };
  status(): EngineStatus {
    return this.st;
  }
  async start(): Promise<EngineStatus> {
    for (const stage of ['vm', 'docker'] as const) {
      this.emit('stage', { stage, elapsedMs: 1500, detail: `${stage} up` } satisfies StartStage);
      if (this.failAt === stage) throw new Error(`${stage} failed to start`);
    }
    this.st = { ...this.st, state: 'running', versions: { docker: '28.0.0' } };
    return this.st;
  }
  async stop(): Promise<void> {
    this.st = { ...this.st, state: 'stopped' };
  }
  async restart(): Promise<EngineStatus> {
    await this.stop();
    return this.start();
  }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ctl-'));
const data = new DataDir(root);
data.ensure();
fs.writeFileSync(path.join(root, 'admin.json'), JSON.stringify({ locked: { accelerator: 'auto' } }));
const port = new HeldPort();
const settings = new SettingsService(data, port, {
  limits: { maxCpus: 4, maxMemoryMiB: 8192 },
  adminFile: path.join(root, 'admin.json'),
  log: () => undefined,
});
const engine = new StagedEngine();
const services: DashboardServices = {
  engine,
  settings,
  docker: { watch: () => new Promise(() => {}) } as unknown as DockerService,
  troubleshoot: {
    plan: () => ({ purge: { deletes: [], keeps: [] }, factoryReset: { deletes: [], keeps: [] } }),
    purge: () => engine.start(),
    factoryReset: () => engine.start(),
    // The real archive writer over this data dir (no guest: the engine here is a stand-in).
    diagnostics: (output, s) => new DataDirTroubleshoot(data, engine).diagnostics(output, s),
  },
  limits: { maxCpus: 4, maxMemoryMiB: 8192, minDiskGiB: 64, maxDiskGiB: 2048 },
};
const events = new HostEvents(services);
let shutdowns = 0;
const control = new ControlServer(events);
await control.listen(
  data.controlSocket,
  new ApiHandler(services, events.broadcast, {
    pid: 4242,
    shutdown: async () => {
      shutdowns++;
      return engine.status();
    },
    openDashboard: async () => ({ url: 'http://127.0.0.1:1/?token=t' }),
  }),
);
const client = await ControlClient.connect(data.controlSocket);
after(async () => {
  client.close();
  await control.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** The call's events (of the given names) in order, then its answer or its error. */
async function collect<T>(
  call: () => Promise<T>,
  names: string[],
): Promise<{ events: ApiEvent[]; out?: T; error?: ApiError }> {
  const seen: ApiEvent[] = [];
  const off = client.onEvent((e) => {
    if (names.includes(e.name)) seen.push(e);
  });
  try {
    return { events: seen, out: await call() };
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return { events: seen, error: e };
  } finally {
    off();
  }
}

/** One raw line on a fresh connection, answered by the first frame with that id. */
async function raw(line: string, id: number): Promise<unknown> {
  const s = net.createConnection(data.controlSocket);
  let buf = '';
  return new Promise((resolve) => {
    s.on('data', (d) => {
      buf += d;
      for (const l of buf.split('\n').slice(0, -1)) {
        const f = JSON.parse(l) as { id?: number };
        if (f.id === id) {
          s.destroy();
          resolve(f);
        }
      }
    });
    s.write(`${line}\n`);
  });
}

test('the socket is 0600 and answers host.info with the host pid', async () => {
  assert.equal(fs.statSync(data.controlSocket).mode & 0o777, 0o600);
  assert.equal(await hostPid(data.controlSocket), 4242);
  assert.equal(await hostPid(path.join(root, 'nobody.sock')), null, 'no host: null, not an error');
});

test('settings.get: settings, locks, notices, limits', async () => {
  const v = await client.call('settings.get', {});
  assert.equal(v.settings.useContainerdSnapshotter, true);
  assert.deepEqual(v.locked, ['accelerator']);
  assert.deepEqual(v.notices, []);
  assert.equal(v.applying, false);
  assert.equal(v.limits.maxCpus, 4);
});

test('settings.propose: changes (nested or dotted keys), or errors naming the key; malformed input refused by the host', async () => {
  const p = await client.call('settings.propose', { 'vm.cpus': 3, useContainerdSnapshotter: false });
  assert.equal(p.restart, 'vm');
  assert.deepEqual(
    p.changes.map((c) => c.key),
    ['useContainerdSnapshotter', 'vm.cpus'],
  );
  const bad = await client.call('settings.propose', { accelerator: 'tcg' });
  assert.deepEqual(bad.errors, [{ key: 'accelerator', message: 'accelerator is locked by the administrator' }]);
  // The host checks every input itself, whatever a client checked before sending.
  const refused = await raw(JSON.stringify({ type: 'call', id: 7, name: 'settings.propose', input: [1, 2] }), 7);
  assert.deepEqual(refused, {
    type: 'error',
    id: 7,
    error: { message: 'bad input for settings.propose: Invalid input: expected object, received array', status: 400 },
  });
  assert.deepEqual(await raw('not json', -1), {
    type: 'error',
    id: -1,
    error: { message: 'malformed frame: expected {"type":"call","id":…,"name":…,"input":…}', status: 400 },
  });
  const unknown = await raw(JSON.stringify({ type: 'call', id: 8, name: 'settings.frobnicate', input: {} }), 8);
  assert.deepEqual(unknown, {
    type: 'error',
    id: 8,
    error: { message: 'no such call: settings.frobnicate', status: 404 },
  });
});

test('settings.apply: invalid or locked values are refused (400) naming each key, nothing changes', async () => {
  const r = await collect(
    () => client.call('settings.apply', { vm: { memoryMiB: 100 }, accelerator: 'kvm' }),
    ['settings.progress'],
  );
  assert.equal(r.error?.status, 400);
  assert.match(r.error!.message, /vm\.memoryMiB must be a whole number from 1024 to 8192 MiB/);
  assert.match(r.error!.message, /accelerator is locked by the administrator/);
  assert.deepEqual(r.events, []);
  assert.equal(settings.get().vm.memoryMiB, 2048);
});

test('settings.apply: progress events, then the settings; a second apply meanwhile is busy (409)', async () => {
  let release!: () => void;
  port.hold = new Promise((r) => {
    release = r;
  });
  const first = collect(
    () => client.call('settings.apply', { useContainerdSnapshotter: false }),
    ['settings.progress', 'settings.changed'],
  );
  while (!settings.applying) await new Promise((r) => setTimeout(r, 5));
  const second = await collect(() => callHost(data.controlSocket, 'settings.apply', { vm: { cpus: 3 } }), []);
  assert.equal(second.error?.status, 409);
  assert.match(second.error!.message, /another apply is in progress/);
  release();
  port.hold = null;
  const r = await first;
  assert.equal(r.out?.settings.useContainerdSnapshotter, false);
  const progress = r.events.flatMap((e) => (e.name === 'settings.progress' ? [e.data.message] : []));
  assert.ok(progress.includes('dockerd restarting'), JSON.stringify(progress));
  assert.equal(settings.get().vm.cpus, 2, 'the refused apply changed nothing');
});

test('settings.apply: a failing apply answers the error and rolls back', async () => {
  port.failEngine = 'dockerd failed to start';
  const r = await collect(() => client.call('settings.apply', { dockerEngine: { debug: true } }), []);
  port.failEngine = null;
  assert.match(r.error?.message ?? '', /dockerd failed to start; the previous settings were restored/);
  assert.deepEqual(settings.get().dockerEngine, {});
});

test('settings.reset: needs {"factory": true}; reports progress and restores defaults', async () => {
  const refused = await raw(JSON.stringify({ type: 'call', id: 9, name: 'settings.reset', input: {} }), 9);
  assert.match(JSON.stringify(refused), /bad input for settings\.reset: factory/);
  await assert.rejects(
    client.call('settings.reset', {} as never),
    /factory/,
    'the client refuses it before sending too',
  );
  assert.equal(port.wiped, 0);
  const r = await collect(() => client.call('settings.reset', { factory: true }), ['settings.progress']);
  assert.equal(port.wiped, 1);
  assert.ok(r.events.some((e) => e.name === 'settings.progress' && e.data.message === 'wiping'));
  assert.equal(r.out?.settings.useContainerdSnapshotter, true);
  assert.equal(settings.get().useContainerdSnapshotter, true);
});

test('engine.start: each stage arrives as an engine.stage event before the answer; a failure is the error', async () => {
  engine.failAt = 'docker';
  const failed = await collect(() => client.call('engine.start', {}), ['engine.stage']);
  assert.equal(failed.error?.message, 'docker failed to start');
  assert.deepEqual(
    failed.events.map((e) => e.name === 'engine.stage' && e.data.stage),
    ['vm', 'docker'],
  );
  engine.failAt = null;
  const ok = await collect(() => client.call('engine.start', {}), ['engine.stage']);
  assert.equal(ok.out?.state, 'running');
  assert.equal(ok.events.length, 2);
});

test('host.shutdown and dashboard.open answer on the control socket only', async () => {
  assert.equal((await client.call('host.shutdown', {})).state, 'running');
  assert.equal(shutdowns, 1);
  assert.match((await client.call('dashboard.open', {})).url, /token=/);
  const windowHandler = new ApiHandler(services, events.broadcast);
  const ctx = { send: () => undefined, subscriptions: new Map() };
  await assert.rejects(
    windowHandler.handle('host.shutdown', {}, ctx),
    (e: ApiError) => e.status === 403 && /control socket/.test(e.message),
  );
});

test('troubleshoot.diagnostics: an archive in the logs dir (or the path asked for), 0600; a relative path is refused', async () => {
  const r = await client.call('troubleshoot.diagnostics', {});
  assert.ok(r.file.startsWith(data.logsDir) && r.file.endsWith('.tar.gz'), r.file);
  assert.equal(fs.statSync(r.file).mode & 0o777, 0o600);
  assert.ok(r.files.includes('status.json') && r.files.includes('settings.json'), r.files.join(','));
  const asked = path.join(root, 'out', 'diag.tar.gz');
  assert.equal((await client.call('troubleshoot.diagnostics', { output: asked })).file, asked);
  assert.ok(fs.existsSync(asked));
  await assert.rejects(
    client.call('troubleshoot.diagnostics', { output: 'diag.tar.gz' }),
    (e: ApiError) => e.status === 400,
  );
});
