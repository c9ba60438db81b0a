// The settings file: schema, migrations, the store default rule, atomic writes, corrupt files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CURRENT_SCHEMA_VERSION,
  SettingsFileSchema,
  defaultSettings,
  withKey,
} from '../../electron/node-host/settings/schema.ts';
import {
  MIGRATIONS,
  MigrationError,
  fileVersion,
  migrate,
  v1ToV2,
  type Migration,
} from '../../electron/node-host/settings/migrations.ts';
import { backupPath, loadSettings, saveSettings } from '../../electron/node-host/settings/settings-file.ts';
import { validateValue } from '../../electron/node-host/settings/validate.ts';

function tmpFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-settings-'));
  return path.join(dir, 'settings.json');
}

/** What Berth's settings version 1 wrote: no store toggle, the engine ran the classic store. */
const V1_FIXTURE = {
  schemaVersion: 1,
  dockerEngine: { 'log-level': 'warn', builder: { gc: { enabled: true } } },
  vm: { cpus: 2, memoryMiB: 3072, diskGiB: 64 },
  accelerator: 'auto',
};

test('defaults: clean install and factory reset use the containerd store', () => {
  const d = defaultSettings();
  assert.equal(d.useContainerdSnapshotter, true);
  assert.deepEqual(d.dockerEngine, {});
  assert.equal(d.accelerator, 'auto');
  assert.ok(SettingsFileSchema.safeParse({ schemaVersion: CURRENT_SCHEMA_VERSION, ...d }).success);
});

test('schema rejects unknown keys, wrong types and out-of-range values', () => {
  const ok = { schemaVersion: CURRENT_SCHEMA_VERSION, ...defaultSettings() };
  assert.ok(SettingsFileSchema.safeParse(ok).success);
  assert.ok(!SettingsFileSchema.safeParse({ ...ok, extra: 1 }).success);
  assert.ok(!SettingsFileSchema.safeParse({ ...ok, useContainerdSnapshotter: 'yes' }).success);
  assert.ok(!SettingsFileSchema.safeParse({ ...ok, dockerEngine: [] }).success);
  assert.ok(!SettingsFileSchema.safeParse({ ...ok, vm: { ...ok.vm, cpus: 0 } }).success);
  assert.ok(!SettingsFileSchema.safeParse({ ...ok, vm: { ...ok.vm, memoryMiB: 512 } }).success);
  assert.ok(!SettingsFileSchema.safeParse({ ...ok, accelerator: 'hvf' }).success);
  assert.ok(!SettingsFileSchema.safeParse({ ...ok, schemaVersion: 1 }).success);
});

test('validateValue names the key and the reason', () => {
  const limits = { maxCpus: 2, maxMemoryMiB: 4096 };
  assert.match(
    validateValue('vm.cpus', 3, limits)!,
    /^vm\.cpus must be a whole number from 1 to 2 \(this host has 2 CPU cores\)/,
  );
  assert.match(validateValue('vm.cpus', 1.5, limits)!, /^vm\.cpus /);
  assert.equal(validateValue('vm.cpus', 2, limits), null);
  assert.match(
    validateValue('vm.memoryMiB', 512, limits)!,
    /^vm\.memoryMiB must be a whole number from 1024 to 4096 MiB/,
  );
  assert.match(validateValue('vm.memoryMiB', 8192, limits)!, /this host has 4096 MiB/);
  assert.match(validateValue('vm.diskGiB', 4)!, /^vm\.diskGiB must be a whole number from 16 to 2048 GiB/);
  assert.match(validateValue('accelerator', 'hvf')!, /^accelerator must be one of auto, kvm, tcg/);
  assert.match(validateValue('useContainerdSnapshotter', 'yes')!, /^useContainerdSnapshotter must be true or false/);
  assert.match(validateValue('dockerEngine', '{"debug": true}')!, /^dockerEngine must be a JSON object/);
  assert.match(validateValue('dockerEngine', [1])!, /^dockerEngine must be a JSON object/);
  assert.equal(validateValue('dockerEngine', { debug: true, features: { 'some-other': true } }), null);
});

test('dockerEngine: the store key belongs to the toggle; flags Berth sets are refused', () => {
  const store = validateValue('dockerEngine', { features: { 'containerd-snapshotter': false } });
  assert.match(
    store!,
    /^dockerEngine\.features\.containerd-snapshotter cannot be set here: .*useContainerdSnapshotter/,
  );
  assert.match(validateValue('dockerEngine', { hosts: ['tcp://0.0.0.0:2375'] })!, /^dockerEngine\.hosts cannot be set/);
  assert.match(validateValue('dockerEngine', { containerd: '/x.sock' })!, /^dockerEngine\.containerd cannot be set/);
  assert.match(validateValue('dockerEngine', { features: 'on' })!, /^dockerEngine\.features must be a JSON object/);
});

test('migration 1 -> 2: without the toggle the store is left to the data disk, not guessed', () => {
  const out = v1ToV2(structuredClone(V1_FIXTURE));
  assert.equal(out.schemaVersion, 2);
  assert.ok(!('useContainerdSnapshotter' in out), 'a version-1 file cannot say which store the engine used');
  assert.deepEqual(out.dockerEngine, V1_FIXTURE.dockerEngine);
  assert.deepEqual(out.vm, V1_FIXTURE.vm);
});

test('migration 1 -> 2: a containerd-snapshotter flag in daemon.json keys moves into the toggle', () => {
  const on = v1ToV2({
    schemaVersion: 1,
    dockerEngine: { debug: true, features: { 'containerd-snapshotter': true, other: true } },
  });
  assert.equal(on.useContainerdSnapshotter, true);
  assert.deepEqual(on.dockerEngine, { debug: true, features: { other: true } });
  const off = v1ToV2({ schemaVersion: 1, dockerEngine: { features: { 'containerd-snapshotter': false } } });
  assert.equal(off.useContainerdSnapshotter, false);
  assert.deepEqual(off.dockerEngine, {});
});

test('migrate: files without schemaVersion are version 1; chains run in order; newer files are refused', () => {
  assert.equal(fileVersion({}), 1);
  assert.throws(() => fileVersion({ schemaVersion: 'two' }), MigrationError);
  const { value, from } = migrate({ ...V1_FIXTURE });
  assert.equal(from, 1);
  assert.equal(value.schemaVersion, CURRENT_SCHEMA_VERSION);
  assert.deepEqual(
    Object.keys(MIGRATIONS).map(Number),
    Array.from({ length: CURRENT_SCHEMA_VERSION - 1 }, (_, i) => i + 1),
    'one migration per version step',
  );
  const seen: number[] = [];
  const chain: Record<number, Migration> = {
    1: (r) => {
      seen.push(1);
      return { ...r, schemaVersion: 2, a: 1 };
    },
    2: (r) => {
      seen.push(2);
      return { ...r, schemaVersion: 3, b: 2 };
    },
  };
  assert.deepEqual(migrate({ schemaVersion: 1 }, chain, 3).value, { schemaVersion: 3, a: 1, b: 2 });
  assert.deepEqual(seen, [1, 2]);
  assert.throws(
    () => migrate({ schemaVersion: 1 }, { 1: (r) => ({ ...r, schemaVersion: 5 }) }, 2),
    /did not produce version 2/,
  );
  assert.throws(() => migrate({ schemaVersion: 1 }, {}, 2), /no migration from settings version 1/);
  assert.throws(() => migrate({ schemaVersion: CURRENT_SCHEMA_VERSION + 1 }), /newer Berth/);
});

test('load: no file is a clean install (containerd); the version-1 fixture leaves the store undecided', () => {
  const fresh = loadSettings(tmpFile());
  assert.equal(fresh.source, 'clean-install');
  assert.equal(fresh.settings.useContainerdSnapshotter, true);
  assert.equal(fresh.storeUnknown, null);

  const file = tmpFile();
  fs.writeFileSync(file, JSON.stringify(V1_FIXTURE));
  const upgraded = loadSettings(file);
  assert.equal(upgraded.source, 'migrated');
  assert.equal(upgraded.migratedFrom, 1);
  assert.match(upgraded.storeUnknown!, /does not say which image store/);
  assert.equal(upgraded.settings.vm.memoryMiB, 3072);
  assert.deepEqual(upgraded.settings.dockerEngine, V1_FIXTURE.dockerEngine);
});

test('save: atomic, 0600, previous file kept as .bak, round-trips', () => {
  const file = tmpFile();
  const a = defaultSettings();
  saveSettings(file, a);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.ok(!fs.existsSync(backupPath(file)), 'no backup before there was a previous file');
  const b = withKey(a, 'vm.cpus', 1);
  saveSettings(file, b);
  assert.equal(JSON.parse(fs.readFileSync(backupPath(file), 'utf8')).vm.cpus, 2);
  const onDisk = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(onDisk.schemaVersion, CURRENT_SCHEMA_VERSION);
  assert.deepEqual(loadSettings(file).settings, b);
  assert.deepEqual(
    fs.readdirSync(path.dirname(file)).sort(),
    ['settings.json', 'settings.json.bak'],
    'no temp files left',
  );
});

test('load: corrupt files (not JSON, not an object) are moved aside and defaults are used', () => {
  const now = new Date('2025-01-02T03:04:05.678Z');
  for (const [body, why] of [
    ['{"schemaVersion": 2, "useContainerd', /not valid JSON/],
    ['[1, 2]', /not a JSON object/],
  ] as const) {
    const file = tmpFile();
    fs.writeFileSync(file, body);
    const r = loadSettings(file, defaultSettings, now);
    assert.equal(r.source, 'recovered');
    assert.match(r.problem!, why);
    assert.deepEqual(r.settings, defaultSettings());
    assert.equal(r.movedTo, `${file}.corrupt-2025-01-02T03-04-05-678Z`);
    assert.equal(fs.readFileSync(r.movedTo!, 'utf8'), body, 'the bad file is kept, byte for byte');
    assert.ok(!fs.existsSync(file));
  }
});

test('load: an unreadable file is reported and moved aside, not treated as a clean install', () => {
  // A directory where the file should be: unreadable even for root (EISDIR).
  const file = tmpFile();
  fs.mkdirSync(file);
  const r = loadSettings(file);
  assert.equal(r.source, 'recovered');
  assert.match(r.problem!, /could not be read/);
  assert.ok(r.movedTo && fs.statSync(r.movedTo).isDirectory());
});
