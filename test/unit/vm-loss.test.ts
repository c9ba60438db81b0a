// A guest call cut off by the VM's end reports the engine's verdict, not the link's last words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { status as grpcStatus } from '@grpc/grpc-js';
import { engineCallFailure } from '../../engine/host/vm-loss.ts';
import type { EngineStatus } from '../../engine/host/engine-types.ts';

class FakeEngine extends EventEmitter {
  st: EngineStatus = { state: 'running', dockerSocket: '/x/docker.sock', dataDir: '/x' };
  status(): EngineStatus {
    return this.st;
  }
  /** What the controller does once it has seen QEMU exit. */
  vmDied(after: number): void {
    setTimeout(() => {
      this.st = {
        ...this.st,
        state: 'error',
        error: { message: 'the VM stopped unexpectedly (qemu killed by SIGKILL)', console: [] },
      };
      this.emit('status', this.st);
    }, after);
  }
}
const linkLost = (): Error => Object.assign(new Error('Connection dropped'), { grpcCode: grpcStatus.UNAVAILABLE });

test("a lost link, then the VM's exit seen: the engine's reason", async () => {
  const engine = new FakeEngine();
  engine.vmDied(50);
  const e = await engineCallFailure(engine, linkLost(), 2000);
  assert.equal(e.message, 'the VM stopped unexpectedly (qemu killed by SIGKILL)');
  assert.equal(engine.listenerCount('status'), 0, 'stops listening');
});

test('the engine already down: its reason at once', async () => {
  const engine = new FakeEngine();
  engine.st = { ...engine.st, state: 'stopped' };
  assert.equal(
    (await engineCallFailure(engine, new Error('Channel closed before call started'))).message,
    'the engine is stopped',
  );
});

test("a lost link while the VM runs on: the call's own error, after the grace", async () => {
  const engine = new FakeEngine();
  const t0 = Date.now();
  const e = await engineCallFailure(engine, linkLost(), 100);
  assert.equal(e.message, 'Connection dropped');
  assert.ok(Date.now() - t0 >= 95, 'waited for a verdict first');
  assert.equal(engine.listenerCount('status'), 0);
});

test("the agent's own refusal is passed on as it is, without waiting", async () => {
  const engine = new FakeEngine();
  const refusal = Object.assign(new Error('dockerd came back on the classic store instead of containerd'), {
    grpcCode: grpcStatus.FAILED_PRECONDITION,
  });
  const t0 = Date.now();
  assert.equal(await engineCallFailure(engine, refusal, 5000), refusal);
  assert.ok(Date.now() - t0 < 1000);
});
