// The two image stores on the VM's data disk and what each holds. Browser-safe.
import { z } from 'zod';
import { IMAGE_STORES, type ImageStore } from '../../../engine/shared/image-store.ts';

export const ImageStoreSchema = z.enum(IMAGE_STORES);
export type { ImageStore };

export const StoreSummarySchema = z.object({
  images: z.number().int(),
  bytes: z.number(),
  containers: z.number().int(),
});

export const StoreStatusSchema = z.object({
  active: ImageStoreSchema,
  /** What the active store holds. */
  holds: StoreSummarySchema,
  /** What the inactive store holds: hidden, never deleted, until the user switches back. */
  hidden: StoreSummarySchema,
  diskFreeBytes: z.number(),
});
export type StoreStatus = z.infer<typeof StoreStatusSchema>;

/**
 * A switch's answer, given once dockerd runs the store asked for (it proved so in /info): what
 * each store holds is measured after the answer, and reaches front ends as a store change.
 */
export const StoreSwitchResultSchema = z.object({
  active: ImageStoreSchema,
  hidden: ImageStoreSchema,
  /** From the call to the engine running on the new store. */
  ms: z.number(),
});
export type StoreSwitchResult = z.infer<typeof StoreSwitchResultSchema>;

export const PlatformVariantSchema = z.object({
  /** os/arch[/variant], e.g. linux/arm64/v8. */
  platform: z.string(),
  digest: z.string().optional(),
  size: z.number().optional(),
  /** True when this variant's content is in the local store (not only listed in the index). */
  present: z.boolean(),
  /** Set on an index's attestation manifest (its platform is unknown/unknown). */
  attestation: z
    .object({
      /** The platform of the manifest it is about ('' when the index does not say). */
      subject: z.string(),
      /** Its in-toto predicate types (SPDX SBOM, SLSA provenance); empty while its content is not in the store. */
      predicateTypes: z.array(z.string()),
    })
    .strict()
    .optional(),
});
export type PlatformVariant = z.infer<typeof PlatformVariantSchema>;

export const InventoryImageSchema = z.object({
  /** The image ID as `docker images` shows it (config digest or index digest). */
  id: z.string(),
  repoTags: z.array(z.string()),
  variants: z.array(PlatformVariantSchema),
});

export const StoreInventorySchema = z.object({
  store: ImageStoreSchema,
  images: z.array(InventoryImageSchema),
});
export type StoreInventory = z.infer<typeof StoreInventorySchema>;

export const MigrateResultSchema = z.object({
  migrated: z.array(z.string()),
  skipped: z.array(z.object({ ref: z.string(), reason: z.string() })),
});
export type MigrateResult = z.infer<typeof MigrateResultSchema>;

export const StoreProgressSchema = z.object({
  step: z.string(),
  detail: z.string().optional(),
  /** Items handled so far out of total, when the step counts (a migration's images). */
  count: z.object({ done: z.number().int(), total: z.number().int() }).optional(),
  done: z.boolean(),
});
export type StoreProgress = z.infer<typeof StoreProgressSchema>;
