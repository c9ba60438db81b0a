// The agent protocol's types, generated from berth_agent.proto by @grpc/proto-loader's generator
// (engine/proto/generate.ts → engine/proto/generated/), named for their use here: messages as
// proto-loader decodes them (enums as strings, 64-bit numbers as numbers, defaults filled in).
// Nothing here restates the .proto; only the store vocabulary's mapping is written by hand.
import type { ImageStore as StoreName } from '../shared/image-store.ts';
import type { AgentEvent__Output } from '../proto/generated/berth/agent/v1/AgentEvent.ts';
import type { ContainerInfo__Output } from '../proto/generated/berth/agent/v1/ContainerInfo.ts';
import type { FactoryResetReply__Output } from '../proto/generated/berth/agent/v1/FactoryResetReply.ts';
import type { ImageInfo__Output } from '../proto/generated/berth/agent/v1/ImageInfo.ts';
import type { ImageStore__Output } from '../proto/generated/berth/agent/v1/ImageStore.ts';
import type { InventoryReply__Output } from '../proto/generated/berth/agent/v1/InventoryReply.ts';
import type { MigrateProgress__Output } from '../proto/generated/berth/agent/v1/MigrateProgress.ts';
import type { SetImageStoreReply__Output } from '../proto/generated/berth/agent/v1/SetImageStoreReply.ts';
import type { StatusReply__Output } from '../proto/generated/berth/agent/v1/StatusReply.ts';
import type { HelloReply__Output } from '../proto/generated/berth/agent/v1/HelloReply.ts';
import type { StartEngineReply__Output } from '../proto/generated/berth/agent/v1/StartEngineReply.ts';
import type { StoreInventory__Output } from '../proto/generated/berth/agent/v1/StoreInventory.ts';
import type { DiskUsageReply__Output } from '../proto/generated/berth/agent/v1/DiskUsageReply.ts';
import type { StoreUsage__Output } from '../proto/generated/berth/agent/v1/StoreUsage.ts';
import type { VolumeMount__Output } from '../proto/generated/berth/agent/v1/VolumeMount.ts';
import type { ReclaimStoreReply__Output } from '../proto/generated/berth/agent/v1/ReclaimStoreReply.ts';

export type { AgentClient as AgentStub, AgentHandlers } from '../proto/generated/berth/agent/v1/Agent.ts';
export type { ProtoGrpcType as AgentPackage } from '../proto/generated/berth_agent.ts';
export type { StoreName };

export type ImageStoreEnum = ImageStore__Output;
export type StatusReply = StatusReply__Output;
export type HelloReply = HelloReply__Output;
export type StartEngineReply = StartEngineReply__Output;
export type SetImageStoreReply = SetImageStoreReply__Output;
export type FactoryResetReply = FactoryResetReply__Output;
export type ImageInfo = ImageInfo__Output;
export type ContainerInfo = ContainerInfo__Output;
export type StoreInventory = StoreInventory__Output;
export type MigrateProgress = MigrateProgress__Output;
export type AgentEvent = AgentEvent__Output;
export type DiskUsageReply = DiskUsageReply__Output;
export type StoreUsage = StoreUsage__Output;
export type VolumeMount = VolumeMount__Output;
export type ReclaimStoreReply = ReclaimStoreReply__Output;
/** As decoded; proto3 message fields may be absent on the wire. */
export type DecodedInventoryReply = InventoryReply__Output;
/** The agent always sends both stores; the host checks (engine/host/agent-client.ts). */
export type InventoryReply = Omit<InventoryReply__Output, 'active' | 'hidden'> & {
  active: StoreInventory;
  hidden: StoreInventory;
};

export const toStoreEnum = (s: StoreName): ImageStoreEnum =>
  s === 'containerd' ? 'IMAGE_STORE_CONTAINERD' : 'IMAGE_STORE_CLASSIC';
export const fromStoreEnum = (e: ImageStoreEnum): StoreName | null =>
  e === 'IMAGE_STORE_CONTAINERD' ? 'containerd' : e === 'IMAGE_STORE_CLASSIC' ? 'classic' : null;
