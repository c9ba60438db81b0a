// The renderer's pure state: event reducer, image rows (search, dangling, variants), banner
// text, the settings draft and formatting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialData, reduceEvent, LOG_CAP } from '../../renderer/src/state/reduce.ts';
import { imageRows } from '../../renderer/src/state/images.ts';
import { hiddenStoreText } from '../../renderer/src/state/banner.ts';
import { draftPatch } from '../../renderer/src/state/settings-draft.ts';
import { formatBytes, relativeTime, shortId } from '../../renderer/src/format.ts';
import { createDashStore } from '../../renderer/src/state/store.ts';
import { fixtureImages } from '../../e2e/fixtures/fake-services.ts';
import type { Settings } from '../../electron/node-host/api/settings-types.ts';

describe('renderer state', () => {
  it('reduces pushed events into state', () => {
    let s = initialData();
    const apply = (e: Parameters<typeof reduceEvent>[1]) => {
      s = { ...s, ...reduceEvent(s, e) };
    };
    apply({ name: 'engine.stage', data: { stage: 'boot', elapsedMs: 10 } });
    apply({ name: 'engine.status', data: { state: 'starting', dockerSocket: '/s', dataDir: '/d' } });
    assert.equal(s.stage?.stage, 'boot', 'the stage stays while starting');
    apply({ name: 'engine.status', data: { state: 'running', dockerSocket: '/s', dataDir: '/d' } });
    assert.equal(s.stage, null);
    apply({ name: 'images.changed', data: { images: fixtureImages(2), totalBytes: 10 } });
    assert.equal(s.images?.value?.images.length, 2);
    apply({
      name: 'images.progress',
      data: { opId: 'a', kind: 'pull', ref: 'x:1', status: 'Downloading', percent: 40, layers: [], done: false },
    });
    apply({
      name: 'images.progress',
      data: { opId: 'a', kind: 'pull', ref: 'x:1', status: 'done', percent: 100, layers: [], done: true },
    });
    assert.equal(s.transfers.a?.percent, 100);
    apply({ name: 'containers.log', data: { containerId: 'c', stream: 'stdout', text: 'x'.repeat(LOG_CAP) } });
    apply({ name: 'containers.log', data: { containerId: 'c', stream: 'stderr', text: 'tail' } });
    assert.equal(s.logs.c?.length, LOG_CAP, 'logs are capped');
    assert.ok(s.logs.c?.endsWith('tail'));
    apply({
      name: 'store.changed',
      data: {
        active: 'classic',
        holds: { images: 2, bytes: 2, containers: 1 },
        hidden: { images: 1, bytes: 1, containers: 0 },
        diskFreeBytes: 1e9,
      },
    });
    assert.equal(s.store?.value?.active, 'classic');
    apply({ name: 'engine.status', data: { state: 'stopping', dockerSocket: '/s', dataDir: '/d' } });
    assert.equal(s.store, null, 'a stopping engine forgets the store summary (no stale banner)');
    apply({ name: 'settings.progress', data: { message: 'Restarting the Docker Engine.' } });
    assert.deepEqual(s.settingsProgress, ['Restarting the Docker Engine.']);
  });

  it('lists images one row per tag, filtered, with variants when expanded', () => {
    const images = fixtureImages(30);
    const all = imageRows(images, undefined, { search: '', danglingOnly: false }, new Set());
    assert.equal(all.length, 30);
    assert.equal(imageRows(images, undefined, { search: '', danglingOnly: true }, new Set()).length, 3);
    const found = imageRows(images, undefined, { search: 'app-7:', danglingOnly: false }, new Set());
    assert.deepEqual(
      found.map((r) => r.kind === 'image' && r.repoTag),
      ['example.org/team/app-7:v7'],
    );
    assert.equal(
      imageRows(images, undefined, { search: '00000003', danglingOnly: false }, new Set()).length,
      1,
      'search by ID',
    );
    const target = images[0]!;
    const inv = {
      store: 'containerd' as const,
      images: [
        {
          id: target.id,
          repoTags: target.repoTags,
          variants: [
            { platform: 'linux/amd64', digest: 'sha256:1', present: true },
            { platform: 'linux/arm64', digest: 'sha256:2', present: false },
          ],
        },
      ],
    };
    const key = `${target.id}|${target.repoTags[0]}`;
    const closed = imageRows(images, inv, { search: '', danglingOnly: false }, new Set());
    assert.equal(closed.length, 30);
    const open = imageRows(images, inv, { search: '', danglingOnly: false }, new Set([key]));
    assert.equal(open.length, 32);
    const variants = open.filter((r) => r.kind === 'variant');
    assert.deepEqual(
      variants.map((v) => v.kind === 'variant' && [v.variant.platform, v.variant.present]),
      [
        ['linux/amd64', true],
        ['linux/arm64', false],
      ],
    );
  });

  it('words the hidden-store banner exactly, for both stores', () => {
    assert.equal(
      hiddenStoreText({ active: 'containerd', hidden: { images: 2, bytes: 8_400_000, containers: 1 } }),
      '2 images (8.4 MB) and 1 containers from the classic image store are hidden while the containerd image store is active',
    );
    assert.equal(
      hiddenStoreText({ active: 'classic', hidden: { images: 1, bytes: 123_000_000, containers: 0 } }),
      '1 images (123 MB) and 0 containers from the containerd image store are hidden while the classic image store is active',
    );
    assert.equal(hiddenStoreText({ active: 'classic', hidden: { images: 0, bytes: 0, containers: 0 } }), null);
  });

  it('turns the settings draft into a patch only when something changed', () => {
    const cur: Settings = {
      useContainerdSnapshotter: true,
      dockerEngine: { debug: true },
      vm: { cpus: 2, memoryMiB: 2048, diskGiB: 64 },
      accelerator: 'auto',
      fileSharing: [],
      features: { lazyPulling: false, wasm: false },
    };
    assert.equal(draftPatch(cur, {}).changed, false);
    assert.equal(
      draftPatch(cur, { useContainerdSnapshotter: true, 'vm.cpus': 2, daemonJsonText: '{ "debug": true }' }).changed,
      false,
    );
    assert.deepEqual(draftPatch(cur, { useContainerdSnapshotter: false }).patch, { useContainerdSnapshotter: false });
    assert.deepEqual(draftPatch(cur, { 'vm.cpus': 4 }).patch, { vm: { cpus: 4 } });
    const bad = draftPatch(cur, { daemonJsonText: '{"debug": 1}' });
    assert.equal(bad.changed, false);
    assert.match(bad.errors[0]!, /debug/);
  });

  it('keeps UI state in the zustand store', () => {
    const store = createDashStore(null);
    store.getState().toggleExpanded('k');
    assert.ok(store.getState().expanded.has('k'));
    store.getState().toggleExpanded('k');
    assert.equal(store.getState().expanded.size, 0);
    store.getState().setDraft({ 'vm.cpus': 3 });
    store.getState().setDraft({ 'vm.memoryMiB': 4096 });
    assert.deepEqual(store.getState().draft, { 'vm.cpus': 3, 'vm.memoryMiB': 4096 });
    store.getState().resetDraft();
    assert.deepEqual(store.getState().draft, {});
  });

  it('formats sizes, IDs and ages', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(4_260_000), '4.26 MB');
    assert.equal(formatBytes(1_500_000_000), '1.50 GB');
    assert.equal(shortId(`sha256:${'ab'.repeat(32)}`), 'abababababab');
    assert.equal(relativeTime(1000, 1000_000 + 3 * 3600_000), '3 hours ago');
  });
});
