// The settings control API over a real unix socket: validation, streaming, one apply at a time.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DataDir } from '../../engine/host/paths.ts';
import { ControlServer } from '../../electron/control/control-server.ts';
import { ControlClient, ControlError } from '../../electron/control/control-client.ts';
import type { StreamMessage } from '../../electron/control/protocol.ts';
import { registerSettingsRoutes } from '../../electron/control/settings-routes.ts';
import { ProposalSchema, SettingsViewSchema } from '../../electron/api/settings-types.ts';
import type { EnginePort } from '../../electron/settings/engine-port.ts';
import { SettingsService } from '../../electron/settings/service.ts';

class HeldPort implements EnginePort {
  running = true;
  hold: Promise<void> | null = null;
  failEngine: string | null = null;
  wiped = 0;
  isRunning(): boolean { return this.running; }
  async applyEngineConfig(_cfg: unknown, onProgress: (m: string) => void): Promise<void> {
    onProgress('dockerd restarting');
    if (this.hold) await this.hold;
    if (this.failEngine) throw new Error(this.failEngine);
  }
  async restartVm(onProgress: (m: string) => void): Promise<void> { onProgress('vm restarting'); }
  async wipeEngineData(onProgress: (m: string) => void): Promise<void> { this.wiped++; onProgress('wiping'); }
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-routes-'));
const data = new DataDir(root);
data.ensure();
fs.writeFileSync(path.join(root, 'admin.json'), JSON.stringify({ locked: { accelerator: 'auto' } }));
const port = new HeldPort();
const settings = new SettingsService(data, port, { limits: { maxCpus: 4, maxMemoryMiB: 8192 }, adminFile: path.join(root, 'admin.json') });
const server = new ControlServer();
registerSettingsRoutes(server, settings);
await server.listen(data.controlSocket);
const client = new ControlClient(data.controlSocket);
after(async () => { await server.close(); fs.rmSync(root, { recursive: true, force: true }); });

async function collect(p: string, body: unknown): Promise<StreamMessage[]> {
  const out: StreamMessage[] = [];
  await client.stream('POST', p, (m) => out.push(m), body);
  return out;
}

async function status(p: Promise<unknown>): Promise<[number, string]> {
  try { await p; return [200, '']; } catch (e) {
    assert.ok(e instanceof ControlError, String(e));
    return [e.status, e.message];
  }
}

test('GET /v1/settings: settings, locks, notices', async () => {
  const v = await client.call('GET', '/v1/settings', SettingsViewSchema);
  assert.equal(v.settings.useContainerdSnapshotter, true);
  assert.deepEqual(v.locked, ['accelerator']);
  assert.deepEqual(v.notices, []);
  assert.equal(v.applying, false);
});

test('POST /v1/settings/propose: changes, or errors naming the key; bad bodies are 400', async () => {
  const p = await client.call('POST', '/v1/settings/propose', ProposalSchema, { 'vm.cpus': 3, useContainerdSnapshotter: false });
  assert.equal(p.restart, 'vm');
  assert.deepEqual(p.changes.map((c) => c.key), ['useContainerdSnapshotter', 'vm.cpus']);
  const bad = await client.call('POST', '/v1/settings/propose', ProposalSchema, { accelerator: 'tcg' });
  assert.deepEqual(bad.errors, [{ key: 'accelerator', message: 'accelerator is locked by the administrator' }]);
  assert.deepEqual(await status(client.call('POST', '/v1/settings/propose', ProposalSchema, [1, 2])),
    [400, 'the body must be a JSON object of settings, for example {"vm": {"cpus": 4}}']);
});

test('POST /v1/settings: 400 before streaming for invalid or locked values', async () => {
  const [code, msg] = await status(collect('/v1/settings', { vm: { memoryMiB: 100 }, accelerator: 'kvm' }));
  assert.equal(code, 400);
  assert.match(msg, /vm\.memoryMiB must be a whole number from 1024 to 8192 MiB/);
  assert.match(msg, /accelerator is locked by the administrator/);
  assert.equal(settings.get().vm.memoryMiB, 2048);
});

test('POST /v1/settings: streams progress, then the settings; a second apply gets 409', async () => {
  let release!: () => void;
  port.hold = new Promise((r) => { release = r; });
  const first = collect('/v1/settings', { useContainerdSnapshotter: false });
  while (!settings.applying) await new Promise((r) => setTimeout(r, 5));
  const [code, msg] = await status(collect('/v1/settings', { vm: { cpus: 3 } }));
  assert.equal(code, 409);
  assert.match(msg, /another apply or factory reset is in progress/);
  release();
  port.hold = null;
  const msgs = await first;
  const progress = msgs.filter((m) => m.type === 'event' && m.name === 'settings-progress').map((m) => m.type === 'event' && m.data);
  assert.ok(progress.includes('dockerd restarting'));
  const last = msgs.at(-1)!;
  assert.ok(last.type === 'event' && last.name === 'settings');
  assert.equal(z.object({ useContainerdSnapshotter: z.boolean() }).parse(last.data).useContainerdSnapshotter, false);
});

test('POST /v1/settings: a failing apply ends the stream with the error and rolls back', async () => {
  port.failEngine = 'dockerd failed to start';
  const msgs = await collect('/v1/settings', { dockerEngine: { debug: true } });
  port.failEngine = null;
  const last = msgs.at(-1)!;
  assert.ok(last.type === 'error');
  assert.match(last.message, /dockerd failed to start; the previous settings were restored/);
  assert.deepEqual(settings.get().dockerEngine, {});
});

test('POST /v1/reset: needs {"factory": true}; streams and restores defaults', async () => {
  assert.deepEqual(await status(collect('/v1/reset', {})), [400, 'the body must be {"factory": true}']);
  assert.equal(port.wiped, 0);
  const msgs = await collect('/v1/reset', { factory: true });
  assert.equal(port.wiped, 1);
  const last = msgs.at(-1)!;
  assert.ok(last.type === 'event' && last.name === 'settings');
  assert.equal(settings.get().useContainerdSnapshotter, true);
});
