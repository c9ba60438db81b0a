// Volumes (who uses one, why Remove is refused, what a prune takes), the reclaim dialog's text,
// and the events and refreshes that keep volumes and disk usage current.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Volume } from '../../electron/node-host/api/volume-types.ts';
import type { ReclaimPlan } from '../../electron/node-host/api/disk-types.ts';
import type { ApiEvent } from '../../electron/node-host/api/contract.ts';
import type { ApiClient } from '../../electron/node-host/api/client.ts';
import { removeBlocked, sortVolumes, unusedVolumes, usedByText } from '../../renderer/src/state/volumes.ts';
import { isEmptyPlan, migrateSuggestion, planImageLines, reclaimResultText } from '../../renderer/src/state/reclaim.ts';
import { initialData, reduceEvent } from '../../renderer/src/state/reduce.ts';
import { createDashStore, refreshDisk } from '../../renderer/src/state/store.ts';

const vol = (name: string, usedBy: Volume['usedBy'] = [], bytes?: number): Volume => ({
  name,
  driver: 'local',
  usedBy,
  ...(bytes === undefined ? {} : { bytes }),
});

describe('volumes', () => {
  const used = vol('db', [
    { store: 'containerd', containerId: 'c1', containerName: 'web', running: true },
    { store: 'classic', containerId: 'c2', containerName: 'old', running: false },
  ]);
  it('names the containers of either store that use a volume, and refuses Remove while any does', () => {
    assert.equal(usedByText(used), 'web (containerd store, running), old (classic store)');
    assert.equal(
      removeBlocked(used),
      'In use by 2 containers web (containerd store, running), old (classic store): remove them first.',
    );
    assert.equal(
      removeBlocked(vol('one', [{ store: 'classic', containerId: 'c', containerName: 'x', running: false }])),
      'In use by container x (classic store): remove it first.',
    );
    assert.equal(removeBlocked(vol('free')), null);
  });

  it('prunes only the unused ones, listed in natural order', () => {
    const list = [vol('v10'), used, vol('v2', [], 5), vol('v1')];
    assert.deepEqual(
      unusedVolumes(list).map((v) => v.name),
      ['v1', 'v2', 'v10'],
    );
    assert.deepEqual(
      sortVolumes(list).map((v) => v.name),
      ['db', 'v1', 'v2', 'v10'],
    );
  });
});

describe('reclaim dialog text', () => {
  const plan: ReclaimPlan = {
    store: 'classic',
    images: [
      { id: 'sha256:' + 'b'.repeat(64), repoTags: ['app:10', 'app:2'], bytes: 64_000_000 },
      { id: 'sha256:' + 'c'.repeat(64), repoTags: [], bytes: 1_000 },
      { id: 'sha256:' + 'a'.repeat(64), repoTags: ['base:1'], bytes: 2_000_000 },
    ],
    containers: [{ id: 'x', name: 'old', image: 'base:1' }],
    buildCacheBytes: 0,
    totalBytes: 66_500_000,
    notMigrated: ['app:2', 'app:10'],
  };
  it('lists each image by its tags (naturally), untagged ones by ID last', () => {
    assert.deepEqual(
      planImageLines(plan).map((l) => l.label),
      ['app:2, app:10', 'base:1', `<untagged> ${'c'.repeat(12)}`],
    );
  });
  it('suggests migrating first only when classic tags would be lost', () => {
    assert.match(
      migrateSuggestion(plan)!,
      /^2 tags exist only in the classic image store and would be lost: app:2, app:10\. .*berth store migrate/,
    );
    assert.equal(migrateSuggestion({ ...plan, notMigrated: [] }), null);
    const many = migrateSuggestion({ ...plan, notMigrated: Array.from({ length: 8 }, (_, i) => `t:${i}`) })!;
    assert.match(many, /t:0, t:1, t:2, t:3, t:4 and 3 more/);
  });
  it('knows an empty store, and words the result with the disk file before and after', () => {
    assert.equal(isEmptyPlan(plan), false);
    assert.equal(isEmptyPlan({ ...plan, images: [], containers: [] }), true);
    assert.equal(
      reclaimResultText({
        store: 'classic',
        images: 3,
        containers: 1,
        reclaimedBytes: 66_000_000,
        diskFileBefore: 900_000_000,
        diskFileAfter: 840_000_000,
      }),
      'Deleted 3 images and 1 container from the classic image store: 66.0 MB freed in the VM; the disk file on this computer went from 900 MB to 840 MB (60.0 MB smaller).',
    );
  });
});

describe('volumes and disk state', () => {
  it('takes pushed volume lists; an engine that stops forgets disk usage', () => {
    let s = initialData();
    const apply = (e: ApiEvent) => {
      s = { ...s, ...reduceEvent(s, e) };
    };
    apply({ name: 'volumes.changed', data: [vol('a')] });
    assert.deepEqual(
      s.volumes?.value?.map((v) => v.name),
      ['a'],
    );
    s = { ...s, disk: { error: 'x' } };
    apply({ name: 'engine.status', data: { state: 'stopping', dockerSocket: '/s', dataDir: '/d' } });
    assert.equal(s.disk, null);
  });

  it('asks for disk usage again after a store change, once per burst', async () => {
    const calls: string[] = [];
    let emit: (e: ApiEvent) => void = () => undefined;
    let release: () => void = () => undefined;
    const client = {
      onEvent: (h: (e: ApiEvent) => void) => {
        emit = h;
      },
      call: async (name: string) => {
        calls.push(name);
        if (name === 'system.diskUsage')
          await new Promise<void>((r) => {
            release = r;
          });
        throw new Error('not in this test');
      },
    } as unknown as ApiClient;
    const store = createDashStore(client);
    const status = {
      active: 'containerd' as const,
      holds: { images: 0, bytes: 0, containers: 0 },
      hidden: { images: 0, bytes: 0, containers: 0 },
      diskFreeBytes: 1,
    };
    emit({ name: 'store.changed', data: status });
    assert.equal(calls.filter((c) => c === 'system.diskUsage').length, 0, 'never shown: not asked');
    store.setState({ disk: { error: 'old' } });
    const first = refreshDisk(client, store);
    emit({ name: 'store.changed', data: status });
    emit({ name: 'store.changed', data: status });
    let secondDone = false;
    const second = refreshDisk(client, store).then(() => {
      secondDone = true;
    });
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(secondDone, false, 'a caller during a request waits for the answer after it');
    release();
    await Promise.all([first, second]);
    assert.equal(
      calls.filter((c) => c === 'system.diskUsage').length,
      2,
      'the one in flight, then one more for the burst',
    );
  });
});
