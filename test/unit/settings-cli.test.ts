// `berth settings …` and `berth reset --factory`: argument parsing, the offline reset, and the
// real CLI against a real host process (no VM needed: the engine stays stopped).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { CliSettingsError, settingsFromCli } from '../../electron/node-host/settings/patch.ts';
import { resetCommand } from '../../electron/node-host/cli/settings-commands.ts';
import { loadSettings, saveSettings } from '../../electron/node-host/settings/settings-file.ts';
import { defaultSettings } from '../../electron/node-host/settings/schema.ts';
import { BerthEnv } from '../helpers/berth-env.ts';

test('settingsFromCli: JSON values when they parse, text otherwise, dotted keys nest', () => {
  assert.deepEqual(
    settingsFromCli(['useContainerdSnapshotter=false', 'vm.cpus=4', 'vm.memoryMiB=4096', 'accelerator=tcg']),
    { useContainerdSnapshotter: false, vm: { cpus: 4, memoryMiB: 4096 }, accelerator: 'tcg' },
  );
  assert.deepEqual(settingsFromCli(['dockerEngine={"debug":true,"log-level":"warn"}']), {
    dockerEngine: { debug: true, 'log-level': 'warn' },
  });
  assert.deepEqual(settingsFromCli(['accelerator="kvm"']), { accelerator: 'kvm' });
  assert.deepEqual(settingsFromCli(['vm.cpus=four']), { vm: { cpus: 'four' } }, 'validation, not parsing, refuses it');
  assert.deepEqual(
    settingsFromCli(['dockerEngine={"a":"x=y"}']),
    { dockerEngine: { a: 'x=y' } },
    'only the first = splits',
  );
  assert.deepEqual(settingsFromCli([]), {});
  assert.throws(
    () => settingsFromCli(['vm.cpus']),
    (e: Error) => e instanceof CliSettingsError && /'vm\.cpus' is not key=value/.test(e.message),
  );
  assert.throws(() => settingsFromCli(['=4']), /not key=value/);
  assert.throws(
    () => settingsFromCli(['colour=blue']),
    /^Error: colour is not a setting \(known: useContainerdSnapshotter, dockerEngine, vm\.cpus/,
  );
  assert.throws(
    () => settingsFromCli(['dockerEngine.debug=true']),
    /dockerEngine\.debug: set dockerEngine as one JSON object/,
  );
});

function tmpData(): DataDir {
  const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-reset-')));
  data.ensure();
  return data;
}

const noTty = {
  isTTY: false,
  ask: async () => {
    throw new Error('must not ask');
  },
};

test('reset --factory without a terminal and without --yes refuses and deletes nothing', async () => {
  const data = tmpData();
  fs.writeFileSync(data.dataDisk, 'disk');
  assert.equal(await resetCommand(data, ['--factory'], noTty), 1);
  assert.ok(fs.existsSync(data.dataDisk));
  assert.equal(await resetCommand(data, ['--yes'], noTty), 2, '--factory is required');
  assert.ok(fs.existsSync(data.dataDisk));
});

test('reset --factory on a terminal asks, and only "yes" goes ahead', async () => {
  const data = tmpData();
  fs.writeFileSync(data.dataDisk, 'disk');
  const questions: string[] = [];
  const tty = (answer: string) => ({
    isTTY: true,
    ask: async (q: string) => {
      questions.push(q);
      return answer;
    },
  });
  assert.equal(await resetCommand(data, ['--factory'], tty('no')), 1);
  assert.ok(fs.existsSync(data.dataDisk));
  assert.match(questions[0]!, /deletes all images, containers and volumes \(both image stores\)/);
  assert.equal(await resetCommand(data, ['--factory'], tty('yes')), 0);
  assert.ok(!fs.existsSync(data.dataDisk));
});

test('reset --factory --yes without a host: stops a stale QEMU, deletes the disk, restores defaults', async () => {
  const data = tmpData();
  saveSettings(data.settingsFile, {
    ...defaultSettings(),
    useContainerdSnapshotter: false,
    vm: { cpus: 1, memoryMiB: 1024, diskGiB: 64 },
  });
  fs.writeFileSync(data.dataDisk, 'disk');
  // A leftover "QEMU": a process whose command line names qemu-system and this VM dir.
  const fakeQemu = path.join(data.root, 'qemu-system-x86_64');
  fs.symlinkSync(process.execPath, fakeQemu);
  const child = spawn(fakeQemu, ['-e', 'setInterval(() => {}, 1000)', path.join(data.vmDir, 'qemu.pid')], {
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.once('exit', r));
  fs.writeFileSync(path.join(data.vmDir, 'qemu.pid'), String(child.pid));
  assert.equal(await resetCommand(data, ['--factory', '--yes'], noTty), 0);
  assert.equal(
    await Promise.race([exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('still running'), 5000))]),
    'exited',
  );
  assert.ok(!fs.existsSync(data.dataDisk));
  assert.deepEqual(loadSettings(data.settingsFile).settings, defaultSettings());
});

// The real thing: bin/berth.js, which starts a background host for the data dir.
const env = new BerthEnv();
const adminFile = path.join(env.root, 'admin-settings.json');
fs.writeFileSync(adminFile, JSON.stringify({ locked: { useContainerdSnapshotter: true } }));
env.env.BERTH_ADMIN_SETTINGS = adminFile;
const upgraded = new BerthEnv();
upgraded.env.BERTH_ADMIN_SETTINGS = path.join(upgraded.root, 'no-admin-file.json');
after(async () => {
  await env.dispose();
  await upgraded.dispose();
});

test('berth settings: get, propose, set; locked and invalid values exit non-zero naming the key', async () => {
  const get = await env.cli(['settings', 'get']);
  assert.equal(get.code, 0, get.stderr);
  assert.equal(JSON.parse(get.stdout).useContainerdSnapshotter, true, 'a fresh data dir starts on containerd');
  assert.match(get.stderr, /Locked by the administrator: useContainerdSnapshotter/);

  const locked = await env.cli(['settings', 'set', 'useContainerdSnapshotter=false']);
  assert.equal(locked.code, 1);
  assert.match(locked.stderr, /useContainerdSnapshotter is locked by the administrator/);

  const invalid = await env.cli(['settings', 'set', 'vm.cpus=999']);
  assert.equal(invalid.code, 1);
  assert.match(
    invalid.stderr,
    /vm\.cpus must be a whole number from 1 to \d+ \(this host has \d+ CPU cores\); got 999/,
  );

  const storeKey = await env.cli(['settings', 'set', 'dockerEngine={"features":{"containerd-snapshotter":false}}']);
  assert.equal(storeKey.code, 1);
  assert.match(storeKey.stderr, /dockerEngine\.features\.containerd-snapshotter cannot be set here/);

  const unknown = await env.cli(['settings', 'set', 'colour=blue']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /colour is not a setting/);

  const propose = await env.cli(['settings', 'propose', 'vm.memoryMiB=1024', 'dockerEngine={"debug":true}']);
  assert.equal(propose.code, 0, propose.stderr);
  assert.match(propose.stdout, /dockerEngine: \{\} -> \{"debug":true\}  \(Docker Engine restart\)/);
  assert.match(propose.stdout, /vm\.memoryMiB: 2048 -> 1024  \(VM restart\)/);
  assert.match(propose.stdout, /Applying restarts the VM\./);

  const set = await env.cli(['settings', 'set', 'vm.memoryMiB=1024', 'dockerEngine={"debug":true}']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /the engine is not running: the new settings take effect when it starts/i);
  assert.equal((await env.cli(['settings', 'get', 'vm.memoryMiB'])).stdout.trim(), '1024');
  assert.equal(JSON.parse(fs.readFileSync(env.data.settingsFile, 'utf8')).vm.memoryMiB, 1024);
});

test('berth reset --factory through the running host restores defaults', async () => {
  const refused = await env.cli(['reset', '--factory']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /refusing a factory reset without confirmation/);
  const reset = await env.cli(['reset', '--factory', '--yes']);
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /Factory reset done/);
  assert.doesNotMatch(reset.stdout, /without the Berth host/);
  assert.equal((await env.cli(['settings', 'get', 'vm.memoryMiB'])).stdout.trim(), '2048');
});

test("settings get on an earlier version's file reads it in place: no host started, nothing rewritten", async () => {
  upgraded.data.ensure();
  const v1 = JSON.stringify({
    schemaVersion: 1,
    dockerEngine: {},
    vm: { cpus: 1, memoryMiB: 2048, diskGiB: 64 },
    accelerator: 'auto',
  });
  fs.writeFileSync(upgraded.data.settingsFile, v1);
  const r = await upgraded.cli(['settings', 'get', 'vm.cpus']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '1');
  assert.equal(fs.readFileSync(upgraded.data.settingsFile, 'utf8'), v1, 'a read does not migrate the file');
  assert.ok(!fs.existsSync(upgraded.data.controlSocket), 'no background host was started');
  assert.ok(!fs.existsSync(path.join(upgraded.data.runDir, 'host.pid')));
  const status = await upgraded.cli(['status']);
  assert.match(status.stdout, /state: +stopped/);
  assert.ok(!fs.existsSync(upgraded.data.controlSocket), 'status starts no host either');
});
