// SettingsService: restart reasons, locks, Apply & Restart (one at a time, rollback), factory reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import type { EnginePort } from '../../electron/node-host/settings/engine-port.ts';
import {
  SettingsBusyError,
  SettingsService,
  SettingsValidationError,
  ApplyFailedError,
} from '../../electron/node-host/settings/service.ts';
import { diffSettings, strongest } from '../../electron/node-host/settings/restart.ts';
import { CURRENT_SCHEMA_VERSION, defaultSettings, withKey } from '../../electron/node-host/settings/schema.ts';
import { loadSettings } from '../../electron/node-host/settings/settings-file.ts';

type Cfg = Parameters<EnginePort['applyEngineConfig']>[0];

/** Records what the service asks of the engine; each step can be held or made to fail once. */
class FakePort implements EnginePort {
  running = true;
  calls: string[] = [];
  fail: { engine?: string; vm?: string; wipe?: string } = {};
  hold: Promise<void> | null = null;
  seenCpusAtRestart: number[] = [];
  service?: SettingsService;

  isRunning(): boolean {
    return this.running;
  }
  async applyEngineConfig(cfg: Cfg, onProgress: (m: string) => void): Promise<void> {
    this.calls.push(`engine:${cfg.useContainerdSnapshotter}:${JSON.stringify(cfg.dockerEngine)}`);
    onProgress('fake dockerd restarting');
    if (this.hold) await this.hold;
    this.throwIf('engine');
  }
  async restartVm(onProgress: (m: string) => void): Promise<void> {
    this.calls.push('vm');
    this.seenCpusAtRestart.push(this.service!.get().vm.cpus);
    onProgress('fake VM restarting');
    this.throwIf('vm');
  }
  async wipeEngineData(onProgress: (m: string) => void): Promise<void> {
    this.calls.push('wipe');
    onProgress('fake wipe');
    this.throwIf('wipe');
  }
  private throwIf(step: 'engine' | 'vm' | 'wipe'): void {
    const msg = this.fail[step];
    if (msg) {
      delete this.fail[step];
      throw new Error(msg);
    }
  }
}

const LIMITS = { maxCpus: 4, maxMemoryMiB: 8192 };

function setup(opts: { admin?: unknown; settingsFile?: string } = {}): {
  data: DataDir;
  port: FakePort;
  svc: SettingsService;
  progress: string[];
  adminFile: string;
} {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-svc-'));
  const data = new DataDir(root);
  const adminFile = path.join(root, 'admin-settings.json');
  if (opts.admin !== undefined)
    fs.writeFileSync(adminFile, typeof opts.admin === 'string' ? opts.admin : JSON.stringify(opts.admin));
  if (opts.settingsFile !== undefined) fs.writeFileSync(data.settingsFile, opts.settingsFile);
  const port = new FakePort();
  const svc = new SettingsService(data, port, { limits: LIMITS, adminFile });
  port.service = svc;
  const progress: string[] = [];
  svc.on('progress', (m: string) => progress.push(m));
  return { data, port, svc, progress, adminFile };
}

const onDisk = (data: DataDir) => loadSettings(data.settingsFile).settings;

test('restart reasons per key; the overall one is the strongest', () => {
  const a = defaultSettings();
  assert.deepEqual(diffSettings(a, a), []);
  const b = withKey(withKey(withKey(a, 'useContainerdSnapshotter', false), 'vm.cpus', 4), 'dockerEngine', {
    debug: true,
  });
  assert.deepEqual(
    diffSettings(a, b).map((c) => [c.key, c.from, c.to, c.restart]),
    [
      ['useContainerdSnapshotter', true, false, 'engine'],
      ['dockerEngine', {}, { debug: true }, 'engine'],
      ['vm.cpus', 2, 4, 'vm'],
    ],
  );
  assert.deepEqual(
    diffSettings(a, withKey(a, 'accelerator', 'tcg')).map((c) => c.restart),
    ['vm'],
  );
  assert.deepEqual(
    diffSettings(a, withKey(a, 'vm.memoryMiB', 4096)).map((c) => c.restart),
    ['vm'],
  );
  assert.deepEqual(
    diffSettings(a, withKey(a, 'vm.diskGiB', 128)).map((c) => c.restart),
    ['vm'],
  );
  // Key order inside dockerEngine is no change.
  const x = withKey(a, 'dockerEngine', { a: 1, b: 2 });
  assert.deepEqual(diffSettings(x, withKey(a, 'dockerEngine', { b: 2, a: 1 })), []);
  assert.equal(strongest([]), 'none');
  assert.equal(strongest(['engine', 'none']), 'engine');
  assert.equal(strongest(['engine', 'vm', 'none']), 'vm');
});

test('a clean install writes its defaults (containerd); an upgraded file without a data disk gets containerd and is rewritten', () => {
  const fresh = setup();
  assert.equal(fresh.svc.get().useContainerdSnapshotter, true);
  assert.equal(onDisk(fresh.data).useContainerdSnapshotter, true, 'the decision is recorded on disk');
  const v1 = JSON.stringify({
    schemaVersion: 1,
    dockerEngine: {},
    vm: { cpus: 2, memoryMiB: 2048, diskGiB: 64 },
    accelerator: 'auto',
  });
  const up = setup({ settingsFile: v1 });
  assert.equal(up.svc.get().useContainerdSnapshotter, true, 'no data disk: nothing on a classic store to keep');
  assert.equal(up.svc.storeUndecided, false);
  const written = JSON.parse(fs.readFileSync(up.data.settingsFile, 'utf8'));
  assert.equal(written.schemaVersion, CURRENT_SCHEMA_VERSION);
  assert.equal(written.useContainerdSnapshotter, true);
  assert.equal(fs.readFileSync(`${up.data.settingsFile}.bak`, 'utf8'), v1, 'the version-1 text is kept as the backup');
  assert.deepEqual(up.svc.notices, []);
});

test('a corrupt file: moved aside, defaults, a notice that says so', () => {
  const { svc, data } = setup({ settingsFile: '{ not json' });
  assert.deepEqual(svc.get(), defaultSettings());
  assert.equal(svc.notices.length, 1);
  assert.match(
    svc.notices[0]!,
    /settings file could not be used: it is not valid JSON.*moved to .*settings\.json\.corrupt-.*default settings/,
  );
  const aside = fs.readdirSync(data.root).find((f) => f.startsWith('settings.json.corrupt-'));
  assert.equal(fs.readFileSync(path.join(data.root, aside!), 'utf8'), '{ not json');
  assert.deepEqual(onDisk(data), defaultSettings());
});

test('propose: changes with restart reasons, errors naming the key, unknown keys', () => {
  const { svc } = setup();
  const p = svc.propose({ useContainerdSnapshotter: false, vm: { cpus: 3 } });
  assert.deepEqual(p.errors, []);
  assert.equal(p.restart, 'vm');
  assert.deepEqual(
    p.changes.map((c) => `${c.key}:${c.restart}`),
    ['useContainerdSnapshotter:engine', 'vm.cpus:vm'],
  );
  assert.deepEqual(
    svc.propose({ 'vm.cpus': 2, accelerator: 'auto' }),
    { changes: [], restart: 'none', errors: [] },
    'same values are no change',
  );
  const bad = svc.propose({
    vm: { cpus: 16, memoryMiB: 100 },
    colour: 'blue',
    dockerEngine: { features: { 'containerd-snapshotter': true } },
  });
  assert.deepEqual(bad.changes, []);
  assert.deepEqual(bad.errors.map((e) => e.key).sort(), ['colour', 'dockerEngine', 'vm.cpus', 'vm.memoryMiB']);
  assert.match(
    bad.errors.find((e) => e.key === 'vm.cpus')!.message,
    /vm\.cpus must be a whole number from 1 to 4 \(this host has 4 CPU cores\)/,
  );
  assert.match(bad.errors.find((e) => e.key === 'colour')!.message, /colour is not a setting/);
});

test('the data disk is never shrunk', () => {
  const { svc, data } = setup();
  // A qcow2 header for a 64 GiB disk: magic, version 3, ..., size at offset 24.
  const header = Buffer.alloc(32);
  header.writeUInt32BE(0x514649fb, 0);
  header.writeUInt32BE(3, 4);
  header.writeBigUInt64BE(64n * 1024n ** 3n, 24);
  fs.mkdirSync(data.vmDir, { recursive: true });
  fs.writeFileSync(data.dataDisk, header);
  assert.match(
    svc.propose({ vm: { diskGiB: 32 } }).errors[0]!.message,
    /^vm\.diskGiB cannot be lower than the existing data disk's 64 GiB/,
  );
  assert.deepEqual(svc.propose({ vm: { diskGiB: 128 } }).errors, []);
});

test('admin locks: the admin value wins, a change is refused, the same value is accepted', async () => {
  const { svc, port, data } = setup({ admin: { locked: { useContainerdSnapshotter: false, 'vm.cpus': 2 } } });
  assert.equal(svc.get().useContainerdSnapshotter, false, 'a clean install gets the locked value');
  assert.deepEqual(svc.locked().sort(), ['useContainerdSnapshotter', 'vm.cpus']);
  const p = svc.propose({ useContainerdSnapshotter: true, vm: { cpus: 3, memoryMiB: 4096 } });
  assert.deepEqual(p.errors.map((e) => e.message).sort(), [
    'useContainerdSnapshotter is locked by the administrator',
    'vm.cpus is locked by the administrator',
  ]);
  await assert.rejects(
    svc.apply({ useContainerdSnapshotter: true }),
    (e: Error) =>
      e instanceof SettingsValidationError && /useContainerdSnapshotter is locked by the administrator/.test(e.message),
  );
  assert.deepEqual(port.calls, []);
  assert.equal(onDisk(data).useContainerdSnapshotter, true, 'the file keeps the user value; the lock overlays it');
  assert.deepEqual(svc.propose({ useContainerdSnapshotter: false, vm: { memoryMiB: 4096 } }).errors, []);
  await svc.apply({ useContainerdSnapshotter: false, vm: { memoryMiB: 4096 } });
  assert.equal(svc.get().vm.memoryMiB, 4096);
});

test('admin defaults apply to a clean install and a factory reset; an invalid admin file refuses changes', async () => {
  const { svc } = setup({ admin: { defaults: { vm: { cpus: 3 }, accelerator: 'tcg' } } });
  assert.equal(svc.get().vm.cpus, 3);
  assert.equal(svc.get().accelerator, 'tcg');
  await svc.apply({ vm: { cpus: 1 } });
  await svc.factoryReset();
  assert.equal(svc.get().vm.cpus, 3);

  for (const admin of ['{ broken', { locked: { nope: 1 } }, { locked: { vm: { cpus: 0 } } }, { unlocked: {} }]) {
    const s = setup({ admin });
    assert.match(s.svc.notices[0]!, /administrator's settings file .* every settings change is refused/);
    assert.match(
      s.svc.propose({ vm: { cpus: 3 } }).errors[0]!.message,
      /^vm\.cpus cannot be changed: the administrator's settings file/,
    );
  }
});

test('apply while the engine is stopped: saved, nothing restarted', async () => {
  const { svc, port, data, progress } = setup();
  port.running = false;
  const changed: unknown[] = [];
  svc.on('changed', (s) => changed.push(s));
  const s = await svc.apply({ useContainerdSnapshotter: false, vm: { cpus: 4 } });
  assert.equal(s.useContainerdSnapshotter, false);
  assert.deepEqual(port.calls, []);
  assert.equal(onDisk(data).vm.cpus, 4);
  assert.equal(changed.length, 1);
  assert.ok(progress.some((m) => /not running: the new settings take effect when it starts/.test(m)));
});

test('apply: the store switch restarts dockerd only; resources restart the VM after saving', async () => {
  const { svc, port, progress } = setup();
  await svc.apply({ useContainerdSnapshotter: false });
  assert.deepEqual(port.calls, ['engine:false:{}']);
  assert.ok(progress.some((m) => /Switching the image store to the classic overlay2 store/.test(m)));
  assert.ok(progress.includes('fake dockerd restarting'), "the port's progress is relayed");
  port.calls = [];
  await svc.apply({ dockerEngine: { debug: true }, vm: { cpus: 3 } });
  assert.deepEqual(port.calls, ['engine:false:{"debug":true}', 'vm']);
  assert.deepEqual(port.seenCpusAtRestart, [3], 'the VM restart sees the new settings');
  port.calls = [];
  assert.deepEqual(await svc.apply({ vm: { cpus: 3 } }), svc.get());
  assert.deepEqual(port.calls, [], 'no change, no restart');
  assert.equal(progress.at(-1), 'Nothing to change.');
});

test('one apply at a time: a second one is refused while the first runs', async () => {
  const { svc, port } = setup();
  let release!: () => void;
  port.hold = new Promise((r) => {
    release = r;
  });
  const first = svc.apply({ useContainerdSnapshotter: false });
  assert.equal(svc.applying, true);
  await assert.rejects(
    svc.apply({ vm: { cpus: 3 } }),
    (e: Error) => e instanceof SettingsBusyError && /another apply is in progress/.test(e.message),
  );
  await assert.rejects(svc.factoryReset(), /another apply is in progress/);
  release();
  await first;
  assert.equal(svc.applying, false);
  await svc.apply({ vm: { cpus: 3 } });
  assert.equal(svc.get().vm.cpus, 3);
});

test('a failed apply rolls back the file, the memory and the engine', async () => {
  const { svc, port, data, progress } = setup();
  port.fail.engine = 'dockerd did not come back';
  const changed: unknown[] = [];
  svc.on('changed', (s) => changed.push(s));
  await assert.rejects(
    svc.apply({ useContainerdSnapshotter: false, dockerEngine: { debug: true } }),
    (e: Error) =>
      e instanceof ApplyFailedError &&
      /dockerd did not come back; the previous settings were restored$/.test(e.message),
  );
  assert.equal(svc.get().useContainerdSnapshotter, true);
  assert.deepEqual(svc.get().dockerEngine, {});
  assert.equal(onDisk(data).useContainerdSnapshotter, true);
  assert.deepEqual(
    port.calls,
    ['engine:false:{"debug":true}', 'engine:true:{}'],
    'the old configuration is re-applied',
  );
  assert.deepEqual(changed, []);
  assert.ok(progress.some((m) => /Restoring the previous settings/.test(m)));
  assert.equal(svc.applying, false);

  // A VM restart that fails: restarted again on the old resources; the restore's own failure is reported.
  port.calls = [];
  port.fail.vm = 'QEMU could not allocate memory';
  await assert.rejects(
    svc.apply({ vm: { memoryMiB: 8192 } }),
    /QEMU could not allocate memory; the previous settings were restored$/,
  );
  assert.deepEqual(port.calls, ['vm', 'vm']);
  assert.equal(svc.get().vm.memoryMiB, 2048);
  assert.deepEqual(port.seenCpusAtRestart, [2, 2]);
  port.fail.engine = 'first';
  port.hold = null;
  port.calls = [];
  const orig = port.applyEngineConfig.bind(port);
  let n = 0;
  port.applyEngineConfig = async (cfg, p) => {
    n++;
    if (n === 2) throw new Error('agent gone');
    return orig(cfg, p);
  };
  await assert.rejects(
    svc.apply({ useContainerdSnapshotter: false }),
    /first; the previous settings were restored, but the engine could not be brought back to them: agent gone/,
  );
  assert.equal(onDisk(data).useContainerdSnapshotter, true);
});

test('factory reset: wipes the engine data, restores defaults, clears stale notices', async () => {
  const { svc, port, data, progress } = setup({ settingsFile: '{ corrupt' });
  assert.equal(svc.notices.length, 1);
  await svc.apply({ useContainerdSnapshotter: false, vm: { cpus: 1 } });
  port.calls = [];
  const s = await svc.factoryReset();
  assert.deepEqual(s, defaultSettings());
  assert.deepEqual(onDisk(data), defaultSettings());
  assert.deepEqual(port.calls, ['wipe']);
  assert.deepEqual(svc.notices, []);
  assert.ok(progress.includes('fake wipe'));

  await svc.apply({ useContainerdSnapshotter: false });
  port.fail.wipe = 'disk busy';
  await assert.rejects(svc.factoryReset(), /factory reset failed: disk busy; the settings were not changed/);
  assert.equal(svc.get().useContainerdSnapshotter, false);
});
