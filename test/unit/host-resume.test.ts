// The pieces a host's crash and the next host's takeover rest on, without a VM: the operation
// journal and what the next command says, the instance lock, the idle exit, finding and retiring
// a leftover QEMU, the settings file edited under a running host, the full-disk advice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { OperationJournal } from '../../engine/host/operation-journal.ts';
import { interruptedNotice } from '../../engine/host/resume-notice.ts';
import { HostLockedError, acquireLock } from '../../electron/node-host/process/instance-lock.ts';
import { exitWhenIdle } from '../../electron/node-host/process/idle-exit.ts';
import { findDataDirQemu, retireQemu } from '../../engine/host/stale-vm.ts';
import { pidAlive } from '../../engine/host/process-watch.ts';
import { diskFullAdvice, isDiskFull } from '../../engine/host/disk-full.ts';
import { SettingsBusyError, SettingsService } from '../../electron/node-host/settings/service.ts';
import { OfflineEnginePort } from '../../electron/node-host/settings/offline-reset.ts';
import type { EngineStatus } from '../../engine/host/engine-types.ts';

function tmpData(): DataDir {
  const d = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-resume-')));
  d.ensure();
  return d;
}

/** A pid that no process has any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** A process whose command line names qemu-system and this data dir's VM folder; it ignores SIGTERM. */
function fakeQemu(data: DataDir): ChildProcess {
  const bin = path.join(data.root, 'qemu-system-x86_64');
  fs.symlinkSync(process.execPath, bin);
  return spawn(
    bin,
    ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)", path.join(data.vmDir, 'data.qcow2')],
    { stdio: 'ignore' },
  );
}

test("the journal holds an operation while it runs and gives a dead host's to the next one, once", async () => {
  const data = tmpData();
  const journal = new OperationJournal(data);
  const file = path.join(data.runDir, 'operation.json');
  await journal.run({ kind: 'switch', store: 'classic' }, async () => {
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).kind, 'switch');
    assert.equal(journal.takeInterrupted(), null, "this host's own operation is not interrupted");
  });
  assert.equal(fs.existsSync(file), false, 'removed when it ends');
  await assert.rejects(
    journal.run({ kind: 'migrate' }, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(fs.existsSync(file), false, 'removed when it fails too');

  fs.writeFileSync(
    file,
    JSON.stringify({ kind: 'switch', store: 'classic', hostPid: await deadPid(), startedAt: new Date().toISOString() }),
  );
  const op = journal.takeInterrupted();
  assert.equal(op?.store, 'classic');
  assert.equal(journal.takeInterrupted(), null, 'taken once');
  assert.equal(
    interruptedNotice(op!, 'adopted', 'classic', false),
    'the previous Berth host stopped during a switch to the classic store; the switch completed (the classic store is active)',
  );
  assert.match(interruptedNotice(op!, 'adopted', 'classic', true), /the switch was completed by this host/);
  assert.match(interruptedNotice(op!, 'replaced', 'classic'), /the VM was restarted and the switch completed/);
  assert.match(interruptedNotice(op!, 'adopted', 'containerd'), /the settings now name the containerd store/);
});

test("one host per data dir: a live owner is reported, a dead one's lock is taken over", async () => {
  const data = tmpData();
  const file = path.join(data.runDir, 'host.pid');
  fs.writeFileSync(file, String(process.ppid));
  assert.throws(
    () => acquireLock(file),
    (e: unknown) => e instanceof HostLockedError && e.pid === process.ppid,
  );
  fs.writeFileSync(file, String(await deadPid()));
  const release = acquireLock(file);
  assert.equal(fs.readFileSync(file, 'utf8'), String(process.pid));
  release();
  assert.equal(fs.existsSync(file), false);
});

test('a background host exits once the engine is stopped and nothing holds it, not before', async () => {
  const engine = new EventEmitter() as EventEmitter & { status(): EngineStatus };
  let state: EngineStatus['state'] = 'running';
  engine.status = () => ({ state, dockerSocket: '', dataDir: '' });
  const clientsChanged = new EventEmitter();
  let clients = 1;
  let exits = 0;
  exitWhenIdle({
    engine,
    clients: () => clients,
    onClients: (l) => clientsChanged.on('c', l),
    dashboardServing: () => false,
    applying: () => false,
    exit: () => {
      exits++;
    },
    graceMs: 50,
  });
  state = 'stopped';
  engine.emit('status');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(exits, 0, 'a connected client keeps it');
  clients = 0;
  clientsChanged.emit('c');
  clients = 1; // a client arrives within the grace
  clientsChanged.emit('c');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(exits, 0, 'a client within the grace keeps it');
  clients = 0;
  clientsChanged.emit('c');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(exits, 1);
});

test('a leftover QEMU is found by its command line and, ignoring the power-off, killed and waited for', async () => {
  const data = tmpData();
  assert.equal(findDataDirQemu(data), null);
  const q = fakeQemu(data);
  const exited = new Promise((r) => q.once('exit', r));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(findDataDirQemu(data), q.pid, 'found without a pid file');
  const lines: string[] = [];
  let asked = 0;
  await retireQemu(data, q.pid!, {
    graceMs: 300,
    log: (l) => lines.push(l),
    askGuest: async () => {
      asked++;
    },
  });
  await exited;
  assert.equal(asked, 1, 'the guest is asked first');
  assert.equal(pidAlive(q.pid!), false);
  assert.match(lines.join('\n'), /did not power off within 0\.3 s; killing QEMU/);
  assert.equal(findDataDirQemu(data), null);
});

test('a settings file edited under a running host is read again; a broken edit is refused, never overwritten', async () => {
  const data = tmpData();
  const logs: string[] = [];
  const service = new SettingsService(data, new OfflineEnginePort(data), {
    log: (l) => logs.push(l),
    limits: { maxCpus: 4, maxMemoryMiB: 8192 },
  });
  const file = JSON.parse(fs.readFileSync(data.settingsFile, 'utf8')) as Record<string, unknown>;
  await new Promise((r) => setTimeout(r, 20)); // a different mtime
  fs.writeFileSync(data.settingsFile, JSON.stringify({ ...file, dockerEngine: { 'log-level': 'warn' } }));
  assert.deepEqual(service.get().dockerEngine, { 'log-level': 'warn' });
  assert.match(logs.join('\n'), /changed on disk; read it again/);

  fs.writeFileSync(data.settingsFile, '{ "dockerEngine": ');
  await assert.rejects(
    service.apply({ dockerEngine: { debug: true } }),
    (e: unknown) => e instanceof SettingsBusyError && /was edited and cannot be used/.test((e as Error).message),
  );
  assert.equal(
    fs.readFileSync(data.settingsFile, 'utf8'),
    '{ "dockerEngine": ',
    'the broken file is left as the user wrote it',
  );
  assert.deepEqual(service.get().dockerEngine, { 'log-level': 'warn' }, 'the settings in use stay');
});

test('a full data disk is explained with its use and what frees space', () => {
  const cause = new Error('ENOSPC: no space left on device, write');
  assert.equal(isDiskFull(cause), true);
  assert.equal(isDiskFull(new Error('connection refused')), false);
  const msg = diskFullAdvice(cause, { size: 64 * 1024 ** 3, used: 63.9 * 1024 ** 3, free: 0 }, 'classic').message;
  assert.match(msg, /the VM's data disk is full \(63\.9 GiB of 64\.0 GiB used, 0\.0 GiB free\)/);
  for (const hint of ['berth df', 'berth store reclaim classic', 'docker system prune', 'vm.diskGiB'])
    assert.ok(msg.includes(hint), hint);
});
