// The host's side of disk usage, reclaim plans and volume users: pure shaping of the agent's
// measurements, the qcow2 header read, and refusals for volumes any store's container uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import {
  diskFileSpace,
  qcow2VirtualSize,
  reclaimPlan,
  toDiskUsage,
} from '../../electron/node-host/services/store-space.ts';
import { VolumeService } from '../../electron/node-host/services/volume-service.ts';
import { parseHumanBytes } from '../../engine/agent/disk-space.ts';
import type { AgentClient } from '../../engine/host/agent-client.ts';
import type { DiskUsageReply, InventoryReply, VolumeMount } from '../../engine/agent/agent-types.ts';
import { ApiError } from '../../electron/node-host/api/contract.ts';
import { DiskUsageSchema, ReclaimPlanSchema } from '../../electron/node-host/api/disk-types.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-space-'));
const usage = (u: Partial<DiskUsageReply['stores'][number]>): DiskUsageReply['stores'][number] => ({
  store: 'IMAGE_STORE_CLASSIC',
  active: false,
  images: 0,
  images_bytes: 0,
  containers: 0,
  containers_bytes: 0,
  build_cache_bytes: 0,
  ...u,
});
const reply: DiskUsageReply = {
  stores: [
    usage({ store: 'IMAGE_STORE_CLASSIC', images: 2, images_bytes: 64 << 20, containers: 1, containers_bytes: 4096 }),
    usage({ store: 'IMAGE_STORE_CONTAINERD', active: true, images: 1, images_bytes: 1000, build_cache_bytes: 500 }),
  ],
  volumes: 2,
  volumes_bytes: 300,
  disk_size_bytes: 10 << 30,
  disk_used_bytes: 1 << 30,
  disk_free_bytes: 9 << 30,
  mounts: [],
};

test('disk usage: the active store first, totals per store, the qcow2 limit and real blocks of the file', () => {
  const file = path.join(tmp, 'data.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '3G']);
  assert.equal(qcow2VirtualSize(file), 3 * 2 ** 30);
  const plain = path.join(tmp, 'plain');
  fs.writeFileSync(plain, 'not a qcow2 header, long enough to read 32 bytes');
  assert.equal(qcow2VirtualSize(plain), null);
  const u = DiskUsageSchema.parse(toDiskUsage(reply, diskFileSpace(file)));
  assert.deepEqual(
    u.stores.map((s) => [s.store, s.active, s.totalBytes]),
    [
      ['containerd', true, 1500],
      ['classic', false, (64 << 20) + 4096],
    ],
  );
  assert.deepEqual(u.volumes, { count: 2, bytes: 300 });
  assert.equal(u.diskFile.sizeBytes, 3 * 2 ** 30);
  assert.equal(u.diskFile.allocatedBytes, fs.statSync(file).blocks * 512);
});

test('a reclaim plan lists the hidden store and the classic tags the containerd store lacks', () => {
  const img = (id: string, refs: string[], size = 10) => ({
    id,
    refs,
    config_digest: id,
    size,
    created: 0,
    platforms: [],
    attestations: [],
    dangling: refs.length === 0,
  });
  const inv: InventoryReply = {
    active: {
      store: 'IMAGE_STORE_CONTAINERD',
      images: [img('sha256:a', ['docker.io/library/app:1'])],
      containers: [],
      total_image_bytes: 10,
    },
    hidden: {
      store: 'IMAGE_STORE_CLASSIC',
      images: [img('sha256:b', ['app:1', 'app:2'], 99), img('sha256:c', [])],
      containers: [{ id: 'c1', name: 'web', image: 'app:2', state: 'exited', created: 0 }],
      total_image_bytes: 109,
    },
    disk_free_bytes: 0,
  };
  const plan = ReclaimPlanSchema.parse(
    reclaimPlan('classic', inv, toDiskUsage(reply, { path: 'x', sizeBytes: 1, allocatedBytes: 1 })),
  );
  assert.deepEqual(plan.notMigrated, ['app:2'], 'app:1 is in the containerd store as docker.io/library/app:1');
  assert.deepEqual(
    plan.images.map((i) => i.bytes),
    [99, 10],
  );
  assert.deepEqual(plan.containers, [{ id: 'c1', name: 'web', image: 'app:2' }]);
  assert.equal(plan.totalBytes, (64 << 20) + 4096);
});

test('ctr sizes read back as bytes', () => {
  assert.equal(parseHumanBytes('4.0 KiB'), 4096);
  assert.equal(parseHumanBytes('1.5 MiB'), 1.5 * 2 ** 20);
  assert.equal(parseHumanBytes('12 B'), 12);
  assert.equal(parseHumanBytes('junk'), 0);
});

test('volumes: users from both stores; remove refused while any uses it; prune skips used ones', async () => {
  const mounts: VolumeMount[] = [
    { volume: 'data', store: 'IMAGE_STORE_CLASSIC', container_id: 'abc', container_name: 'db', running: false },
    { volume: 'cache', store: 'IMAGE_STORE_CONTAINERD', container_id: 'def', container_name: 'web', running: true },
  ];
  const removed: string[] = [];
  const docker = {
    modem: {
      dial: (_o: unknown, cb: (e: unknown, d: unknown) => void) =>
        cb(null, {
          Volumes: ['data', 'cache', 'free'].map((Name) => ({ Name, Driver: 'local', UsageData: { Size: 7 } })),
        }),
    },
    getVolume: (name: string) => ({
      name,
      remove: async () => {
        removed.push(name);
      },
    }),
    // dockerode resolves createVolume with its Volume handle, not dockerd's JSON.
    createVolume: async (o: { Name?: string }) => ({ name: o.Name ?? 'generated-name', modem: {} }),
  } as unknown as Docker;
  const agent = { diskUsage: async () => ({ ...reply, mounts }) } as unknown as AgentClient;
  const svc = new VolumeService({ docker: () => docker, agent: () => agent });
  const list = await svc.list();
  assert.deepEqual(
    list.map((v) => [v.name, v.usedBy.map((u) => `${u.containerName}@${u.store}`)]),
    [
      ['cache', ['web@containerd']],
      ['data', ['db@classic']],
      ['free', []],
    ],
  );
  await assert.rejects(
    svc.remove('data'),
    (e: ApiError) =>
      e.status === 409 && /volume data is in use by container db \(classic store, stopped\)/.test(e.message),
  );
  assert.deepEqual(removed, [], "dockerd was not asked: it cannot see the hidden store's container");
  assert.deepEqual(await svc.prune(), { removed: ['free'], reclaimedBytes: 7 });
  assert.deepEqual(await svc.create('mine'), { name: 'mine' });
  assert.deepEqual(await svc.create(), { name: 'generated-name' });
});
