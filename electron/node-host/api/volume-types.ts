// Volumes: shared by both image stores, so each names the containers of either store that use it.
// Browser-safe.
import { z } from 'zod';
import { ImageStoreSchema } from './store-types.ts';

/** Docker's own rule for volume names. */
export const VolumeNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'a volume name: letters, digits, and _ . - after the first character');

export const VolumeUserSchema = z.object({
  store: ImageStoreSchema,
  containerId: z.string(),
  containerName: z.string(),
  running: z.boolean(),
});

export const VolumeSchema = z.object({
  name: z.string(),
  driver: z.string(),
  createdAt: z.string().optional(),
  /** Bytes on the data disk; absent when the engine did not measure it. */
  bytes: z.number().optional(),
  /** Containers of either store that mount it: a volume in use is not removed. */
  usedBy: z.array(VolumeUserSchema),
});
export type Volume = z.infer<typeof VolumeSchema>;
export const VolumeListSchema = z.array(VolumeSchema);

export const VolumePruneResultSchema = z.object({ removed: z.array(z.string()), reclaimedBytes: z.number() });
