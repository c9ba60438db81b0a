// The settings file: defaults, migrations 2 -> 3 (file sharing), validation, and the restart it needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CURRENT_SCHEMA_VERSION,
  SettingsFileSchema,
  defaultSettings,
} from '../../electron/node-host/settings/schema.ts';
import { MIGRATIONS, migrate, v2ToV3 } from '../../electron/node-host/settings/migrations.ts';
import { validateValue } from '../../electron/node-host/settings/validate.ts';
import { RESTART_BY_KEY } from '../../electron/node-host/settings/restart.ts';
import { loadSettings } from '../../electron/node-host/settings/settings-file.ts';

const V2 = {
  schemaVersion: 2,
  useContainerdSnapshotter: true,
  dockerEngine: {},
  vm: { cpus: 2, memoryMiB: 2048, diskGiB: 64 },
  accelerator: 'auto',
};

test('a clean install shares the home directory', () => {
  assert.equal(CURRENT_SCHEMA_VERSION, 4);
  assert.deepEqual(defaultSettings().fileSharing, [os.homedir()]);
});

test('migration 2 -> 3 adds the home directory and keeps everything else', () => {
  const out = v2ToV3(structuredClone(V2), '/home/alice');
  assert.deepEqual(out, { ...V2, schemaVersion: 3, fileSharing: ['/home/alice'] });
  assert.deepEqual(
    v2ToV3({ ...V2, fileSharing: ['/srv'] }, '/home/alice').fileSharing,
    ['/srv'],
    'a list already there is kept',
  );
  assert.ok(MIGRATIONS[2], 'registered');
  const { value, from } = migrate(structuredClone(V2));
  assert.equal(from, 2);
  assert.ok(SettingsFileSchema.safeParse(value).success, 'the result is a valid current file');
  assert.deepEqual(value.fileSharing, [os.homedir()]);
});

test('a version-2 file on disk loads as migrated with the home directory shared', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-settings-v2-')), 'settings.json');
  fs.writeFileSync(file, JSON.stringify(V2));
  const r = loadSettings(file);
  assert.equal(r.source, 'migrated');
  assert.equal(r.migratedFrom, 2);
  assert.equal(r.settings.useContainerdSnapshotter, true, 'the store choice is untouched');
  assert.deepEqual(r.settings.fileSharing, [os.homedir()]);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

test('validation: absolute, not the VM system, no overlaps; a change must name existing folders', () => {
  const limits = { maxCpus: 2, maxMemoryMiB: 4096 };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-share-valid-'));
  assert.equal(validateValue('fileSharing', [tmp], limits), null);
  assert.equal(validateValue('fileSharing', [], limits), null, 'sharing nothing is allowed');
  assert.equal(validateValue('fileSharing', ['/not/here'], undefined), null, 'a loaded file is checked for shape only');
  const bad: Array<[unknown, RegExp]> = [
    ['/home/u', /must be a list/],
    [['relative/dir'], /not an absolute path/],
    [['/'], /root folder cannot be shared/],
    [['/usr/local'], /would cover the VM's \/usr/],
    [['/var'], /would cover the VM's \/var\/lib/],
    [['/home/u', '/home/u/src'], /overlaps \/home\/u/],
    [['/a\tb'], /tab or a line break/],
  ];
  for (const [v, why] of bad) assert.match(validateValue('fileSharing', v) ?? 'accepted', why, JSON.stringify(v));
  assert.match(
    validateValue('fileSharing', [path.join(tmp, 'missing')], limits) ?? 'accepted',
    /missing does not exist on this host$/,
  );
  fs.writeFileSync(path.join(tmp, 'a-file'), 'x');
  assert.match(
    validateValue('fileSharing', [path.join(tmp, 'a-file')], limits) ?? 'accepted',
    /a-file is not a folder/,
  );
  assert.equal(RESTART_BY_KEY.fileSharing, 'vm', 'devices and mounts are set up at boot');
  fs.rmSync(tmp, { recursive: true, force: true });
});
