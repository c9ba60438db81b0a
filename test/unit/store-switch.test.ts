// The host's store switch: applied through the settings, verified by dockerd's own word, reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { switchStore, type StoreSwitchDeps } from '../../electron/node-host/store/store-switch.ts';
import type { ImageStore } from '../../engine/shared/image-store.ts';

function deps(runs: () => ImageStore | null, apply: () => Promise<unknown> = async () => undefined) {
  const seen = { patches: [] as unknown[], steps: [] as string[], changed: 0 };
  const d: StoreSwitchDeps = {
    applySetting: async (p) => {
      seen.patches.push(p);
      return apply();
    },
    activeStore: async () => runs(),
    status: async () => ({
      active: 'classic',
      holds: { images: 0, bytes: 0, containers: 0 },
      hidden: { images: 0, bytes: 0, containers: 0 },
      diskFreeBytes: 0,
    }),
    progress: (p) => seen.steps.push(p.step),
    changed: () => {
      seen.changed++;
    },
  };
  return { d, seen };
}

test('a switch is the store setting applied, then verified, and reports the result and the counts', async () => {
  const { d, seen } = deps(() => 'classic');
  const r = await switchStore('classic', d);
  assert.deepEqual([r.active, r.hidden], ['classic', 'containerd']);
  assert.deepEqual(seen.patches, [{ useContainerdSnapshotter: false }]);
  assert.deepEqual(seen.steps, ['Switching to the classic image store', 'done']);
  await new Promise((res) => setImmediate(res));
  assert.equal(seen.changed, 1, 'the counts follow the answer');
});

test('dockerd on another store after the apply is an error, and the progress still ends', async () => {
  const { d, seen } = deps(() => 'containerd');
  await assert.rejects(switchStore('classic', d), /dockerd runs the containerd image store/);
  assert.equal(seen.steps.at(-1), 'done');
  const failing = deps(
    () => 'classic',
    async () => {
      throw new Error('applying the settings failed: disk full');
    },
  );
  await assert.rejects(switchStore('classic', failing.d), /disk full/);
  assert.equal(failing.seen.steps.at(-1), 'done');
});
