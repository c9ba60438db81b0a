// What each image store costs on the VM's data disk, and giving a hidden store's space back.
// Browser-safe: the dashboard, the CLI (`berth df`, `berth store reclaim`) and the host share it.
import { z } from 'zod';
import { ImageStoreSchema } from './store-types.ts';

export const StoreDiskUsageSchema = z.object({
  store: ImageStoreSchema,
  /** True for the store dockerd runs with now; the other one is hidden. */
  active: z.boolean(),
  images: z.number().int(),
  /** Bytes of image content (layers, configs, manifests) that only this store holds. */
  imagesBytes: z.number(),
  containers: z.number().int(),
  /** The containers' writable layers. */
  containersBytes: z.number(),
  buildCacheBytes: z.number(),
  totalBytes: z.number(),
});
export type StoreDiskUsage = z.infer<typeof StoreDiskUsageSchema>;

export const DiskUsageSchema = z.object({
  /** Both stores, the active one first. */
  stores: z.array(StoreDiskUsageSchema),
  /** Volumes belong to neither store (both see them): counted once. */
  volumes: z.object({ count: z.number().int(), bytes: z.number() }),
  /** The data disk as the VM sees it (its filesystem). */
  dataDisk: z.object({ sizeBytes: z.number(), usedBytes: z.number(), freeBytes: z.number() }),
  /** The disk file on the host: its size limit, and the space it really takes. */
  diskFile: z.object({ path: z.string(), sizeBytes: z.number(), allocatedBytes: z.number() }),
});
export type DiskUsage = z.infer<typeof DiskUsageSchema>;

export const ReclaimPlanSchema = z.object({
  store: ImageStoreSchema,
  /** Every image the reclaim deletes (refs, or the ID when untagged). */
  images: z.array(z.object({ id: z.string(), repoTags: z.array(z.string()), bytes: z.number() })),
  containers: z.array(z.object({ id: z.string(), name: z.string(), image: z.string() })),
  buildCacheBytes: z.number(),
  /** What the store takes on the data disk now: about what comes back. */
  totalBytes: z.number(),
  /** Tags only this (classic) store holds: `berth store migrate` would keep them. */
  notMigrated: z.array(z.string()),
});
export type ReclaimPlan = z.infer<typeof ReclaimPlanSchema>;

export const ReclaimResultSchema = z.object({
  store: ImageStoreSchema,
  images: z.number().int(),
  containers: z.number().int(),
  /** Freed inside the VM (data disk used, before minus after). */
  reclaimedBytes: z.number(),
  /** The host's disk file, allocated bytes before and after the guest's trim. */
  diskFileBefore: z.number(),
  diskFileAfter: z.number(),
});
export type ReclaimResult = z.infer<typeof ReclaimResultSchema>;
