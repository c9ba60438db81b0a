// TypeScript shapes of the agent's proto messages (as proto-loader decodes them: enums as
// strings, 64-bit numbers as JS numbers), shared by the agent and the host client.
import { z } from 'zod';

export const ImageStoreEnum = z.enum(['IMAGE_STORE_UNSPECIFIED', 'IMAGE_STORE_CONTAINERD', 'IMAGE_STORE_CLASSIC']);
export type ImageStoreEnum = z.infer<typeof ImageStoreEnum>;
export type StoreName = 'containerd' | 'classic';

export const toStoreEnum = (s: StoreName): ImageStoreEnum => (s === 'containerd' ? 'IMAGE_STORE_CONTAINERD' : 'IMAGE_STORE_CLASSIC');
export const fromStoreEnum = (e: ImageStoreEnum): StoreName | null =>
  e === 'IMAGE_STORE_CONTAINERD' ? 'containerd' : e === 'IMAGE_STORE_CLASSIC' ? 'classic' : null;

export const StatusReply = z.object({
  engine_state: z.string(),
  active_store: ImageStoreEnum,
  driver_status: z.array(z.string()),
  storage_driver: z.string(),
  docker_version: z.string(),
  containerd_version: z.string(),
  agent_version: z.string(),
  daemon_json: z.string(),
});
export type StatusReply = z.infer<typeof StatusReply>;

export const SetImageStoreReply = z.object({ active_store: ImageStoreEnum, changed: z.boolean(), restart_ms: z.number() });
export type SetImageStoreReply = z.infer<typeof SetImageStoreReply>;

export const Platform = z.object({ os: z.string(), architecture: z.string(), variant: z.string(), present: z.boolean() });
export const ImageInfo = z.object({
  id: z.string(), refs: z.array(z.string()), config_digest: z.string(), size: z.number(), created: z.number(),
  platforms: z.array(Platform), dangling: z.boolean(),
});
export type ImageInfo = z.infer<typeof ImageInfo>;
export const ContainerInfo = z.object({ id: z.string(), name: z.string(), image: z.string(), state: z.string(), created: z.number() });
export type ContainerInfo = z.infer<typeof ContainerInfo>;
export const StoreInventory = z.object({
  store: ImageStoreEnum, images: z.array(ImageInfo), containers: z.array(ContainerInfo), total_image_bytes: z.number(),
});
export type StoreInventory = z.infer<typeof StoreInventory>;
export const InventoryReply = z.object({ active: StoreInventory, hidden: StoreInventory, disk_free_bytes: z.number() });
export type InventoryReply = z.infer<typeof InventoryReply>;

export const MigrateProgress = z.object({
  phase: z.string(), message: z.string(), done: z.number(), total: z.number(), migrated: z.array(z.string()), classic_bytes: z.number(),
});
export type MigrateProgress = z.infer<typeof MigrateProgress>;

export const FactoryResetReply = z.object({ active_store: ImageStoreEnum });

export const AgentEvent = z.object({
  kind: z.string(), message: z.string(), store: ImageStoreEnum, engine_state: z.string(), done: z.number(), total: z.number(), time_ms: z.number(),
});
export type AgentEvent = z.infer<typeof AgentEvent>;
