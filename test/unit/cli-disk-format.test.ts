// The text of `berth df`, `berth store` and `berth store reclaim`: sizes, the per-store table, the
// plan a reclaim asks about (with the migrate suggestion) and its result.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBytes,
  formatDiskUsage,
  formatPlan,
  formatReclaimResult,
  planIsEmpty,
} from '../../electron/node-host/cli/disk-format.ts';
import { summaryJson } from '../../electron/node-host/cli/store-commands.ts';
import type { ReclaimPlan } from '../../electron/node-host/api/disk-types.ts';
import { DISK, PLAN } from './cli-disk-fixtures.ts';
import type { StoreStatus } from '../../electron/node-host/api/store-types.ts';

const MiB = 1024 * 1024;

describe('disk text', () => {
  it('formats sizes in binary units, keeping the sign', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(64 * MiB), '64.0 MiB');
    assert.equal(formatBytes(1.5 * 1024 * MiB), '1.5 GiB');
    assert.equal(formatBytes(-2048), '-2.0 KiB');
  });

  it('berth df: a row per store with the active one marked, volumes once, the disk in the VM and on the host', () => {
    const lines = formatDiskUsage(DISK).split('\n');
    const row = (store: string): string => lines.find((l) => l.startsWith(store))!;
    assert.match(lines[0]!, /^image store\s+images\s+containers\s+build cache\s+total$/);
    assert.match(row('containerd (active)'), /3 \(12\.0 MiB\)\s+1 \(4\.0 KiB\)\s+0 B\s+12\.0 MiB$/);
    assert.match(row('classic (hidden)'), /1 \(64\.0 MiB\)\s+2 \(0 B\)\s+2\.0 MiB\s+66\.0 MiB$/);
    // Columns line up: each row's counts start where the header's "images" does.
    const col = lines[0]!.indexOf('images');
    assert.equal(row('containerd').indexOf('3 ('), col);
    assert.equal(row('classic').indexOf('1 ('), col);
    assert.equal(lines.filter((l) => l.startsWith('volumes')).length, 1);
    assert.match(lines.join('\n'), /volumes\s+2 \(1\.0 MiB\), shared by both stores/);
    assert.match(lines.join('\n'), /data disk\s+1\.5 GiB used of 60\.0 GiB, 58\.5 GiB free \(in the VM\)/);
    assert.match(
      lines.join('\n'),
      /disk file\s+\/home\/u\/\.local\/share\/berth\/vm\/data\.qcow2\n\s+1\.6 GiB allocated on the host, limit 60\.0 GiB/,
    );
  });

  it('the reclaim plan lists each image by tag or ID, each container, the build cache and the total', () => {
    const text = formatPlan(PLAN);
    assert.match(text, /^Reclaiming the hidden classic image store deletes:/);
    assert.match(text, /2 images:\n\s+app:1, app:latest\s+64\.0 MiB\n\s+fedcba987654 \(untagged\)\s+3\.0 KiB/);
    assert.match(text, /2 containers:\n\s+web\s+image app:1\n\s+deadbeef1234\s+image app:1/);
    assert.match(text, /build cache: 2\.0 MiB/);
    assert.match(text, /total: about 66\.0 MiB comes back/);
  });

  it('suggests berth store migrate first, naming the tags only the classic store holds', () => {
    assert.match(
      formatPlan(PLAN),
      /Only the classic store holds app:1, app:latest\.\nTo keep them, run 'berth store migrate' first/,
    );
    const migrated = formatPlan({ ...PLAN, notMigrated: [] });
    assert.doesNotMatch(migrated, /migrate/);
    assert.match(formatPlan({ ...PLAN, notMigrated: ['app:1'] }), /holds app:1\.\nTo keep it,/);
  });

  it('an empty store is an empty plan; any image, container, cache or byte is not', () => {
    const empty: ReclaimPlan = {
      store: 'classic',
      images: [],
      containers: [],
      buildCacheBytes: 0,
      totalBytes: 0,
      notMigrated: [],
    };
    assert.equal(planIsEmpty(empty), true);
    assert.equal(planIsEmpty({ ...empty, totalBytes: 4096 }), false);
    assert.equal(planIsEmpty({ ...empty, buildCacheBytes: 1 }), false);
    assert.equal(planIsEmpty(PLAN), false);
    assert.match(formatPlan(empty), /0 images\n\s+0 containers\n/);
  });

  it('the result: what was deleted, what the VM freed, the host file before and after', () => {
    const text = formatReclaimResult({
      store: 'classic',
      images: 1,
      containers: 2,
      reclaimedBytes: 66 * MiB,
      diskFileBefore: 1600 * MiB,
      diskFileAfter: 1536 * MiB,
    });
    assert.equal(
      text,
      [
        'Deleted 1 image and 2 containers from the classic image store.',
        'Freed in the VM: 66.0 MiB',
        'Disk file on the host: 1.6 GiB -> 1.5 GiB allocated (64.0 MiB smaller)',
      ].join('\n'),
    );
    assert.match(
      formatReclaimResult({
        store: 'classic',
        images: 0,
        containers: 0,
        reclaimedBytes: 0,
        diskFileBefore: MiB,
        diskFileAfter: 2 * MiB,
      }),
      /\(1\.0 MiB larger\)/,
    );
  });

  it('berth store --json keeps its keys and adds disk when measured', () => {
    const st: StoreStatus = {
      active: 'containerd',
      holds: { images: 3, bytes: 12 * MiB, containers: 1 },
      hidden: { images: 1, bytes: 64 * MiB, containers: 2 },
      diskFreeBytes: 5,
    };
    const plain = summaryJson(st);
    assert.deepEqual(Object.keys(plain), [
      'active',
      'activeImages',
      'activeContainers',
      'activeBytes',
      'hidden',
      'diskFreeBytes',
    ]);
    assert.deepEqual(summaryJson(st, DISK), { ...plain, disk: DISK });
  });
});
