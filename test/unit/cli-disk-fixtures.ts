// What a host answers for system.diskUsage and store.reclaimPlan, for the CLI's disk tests.
import {
  DiskUsageSchema,
  ReclaimPlanSchema,
  type DiskUsage,
  type ReclaimPlan,
} from '../../electron/node-host/api/disk-types.ts';

export const MiB = 1024 * 1024;
export const DISK: DiskUsage = DiskUsageSchema.parse({
  stores: [
    {
      store: 'containerd',
      active: true,
      images: 3,
      imagesBytes: 12 * MiB,
      containers: 1,
      containersBytes: 4096,
      buildCacheBytes: 0,
      totalBytes: 12 * MiB + 4096,
    },
    {
      store: 'classic',
      active: false,
      images: 1,
      imagesBytes: 64 * MiB,
      containers: 2,
      containersBytes: 0,
      buildCacheBytes: 2 * MiB,
      totalBytes: 66 * MiB,
    },
  ],
  volumes: { count: 2, bytes: MiB },
  dataDisk: { sizeBytes: 60 * 1024 * MiB, usedBytes: 1536 * MiB, freeBytes: 58.5 * 1024 * MiB },
  diskFile: {
    path: '/home/u/.local/share/berth/vm/data.qcow2',
    sizeBytes: 60 * 1024 * MiB,
    allocatedBytes: 1600 * MiB,
  },
});

export const PLAN: ReclaimPlan = ReclaimPlanSchema.parse({
  store: 'classic',
  images: [
    { id: 'sha256:0123456789abcdef0123', repoTags: ['app:1', 'app:latest'], bytes: 64 * MiB },
    { id: 'sha256:fedcba9876543210fedc', repoTags: [], bytes: 3 * 1024 },
  ],
  containers: [
    { id: 'c0ffee0000000000', name: 'web', image: 'app:1' },
    { id: 'deadbeef12345678aa', name: '', image: 'app:1' },
  ],
  buildCacheBytes: 2 * MiB,
  totalBytes: 66 * MiB,
  notMigrated: ['app:1', 'app:latest'],
});
