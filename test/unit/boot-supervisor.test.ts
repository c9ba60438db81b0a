// The boot supervisor judges a boot from the driver seam's run-state changes and exits, not from
// QEMU's own events: a guest that panics, and a guest that resets itself, each get their verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BootSupervisor } from '../../engine/host/boot-supervisor.ts';
import type { RunStateChange, VmExit, VmHandle } from '../../engine/host/vm-driver.ts';

class FakeVm extends EventEmitter implements VmHandle {
  pid = 1;
  running = true;
  state = 'running';
  killed = false;
  async start(): Promise<void> {}
  async attach(): Promise<void> {}
  async stop(): Promise<VmExit> {
    return { code: 0, signal: null, expected: true, stderr: '' };
  }
  kill(): void {
    this.killed = true;
    this.running = false;
  }
  async status(): Promise<string> {
    return this.state;
  }
  consoleTail(): string[] {
    return ['Kernel panic - not syncing: fake'];
  }
  stderrText(): string {
    return '';
  }
  userNetForwards(): undefined {
    return undefined;
  }
}

const consoleLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sup-')), 'console.log');
fs.writeFileSync(consoleLog, '');

test('a guest that panics: the verdict names the run state, and the VM is stopped', async () => {
  const vm = new FakeVm();
  const sup = new BootSupervisor(vm, { hardware: false, consoleLog });
  const verdict = new Promise((r) => sup.once('verdict', r));
  vm.state = 'guest-panicked';
  vm.emit('run-state', { change: 'panicked' } satisfies RunStateChange);
  assert.match(((await verdict) as { message: string }).message, /the VM stopped in run state guest-panicked/);
  assert.equal(vm.killed, true);
});

test('a guest that resets itself while booting: the shutdown reason makes it worth one more boot', async () => {
  const vm = new FakeVm();
  const sup = new BootSupervisor(vm, { hardware: false, consoleLog });
  vm.emit('run-state', { change: 'shutdown', reason: 'guest-reset' } satisfies RunStateChange);
  vm.running = false;
  vm.emit('exit', { code: 0, signal: null, expected: false, stderr: '' } satisfies VmExit);
  const v = await sup.judged();
  assert.match(v?.message ?? '', /QEMU exited \(0, guest-reset\) while booting/);
  assert.equal(v?.guestEnded, true);
  assert.equal(v?.accelerator, false);
});
