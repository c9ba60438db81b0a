import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AgentClient as _berth_agent_v1_AgentClient, AgentDefinition as _berth_agent_v1_AgentDefinition } from './berth/agent/v1/Agent.ts';
import type { AgentEvent as _berth_agent_v1_AgentEvent, AgentEvent__Output as _berth_agent_v1_AgentEvent__Output } from './berth/agent/v1/AgentEvent.ts';
import type { ContainerInfo as _berth_agent_v1_ContainerInfo, ContainerInfo__Output as _berth_agent_v1_ContainerInfo__Output } from './berth/agent/v1/ContainerInfo.ts';
import type { EventsRequest as _berth_agent_v1_EventsRequest, EventsRequest__Output as _berth_agent_v1_EventsRequest__Output } from './berth/agent/v1/EventsRequest.ts';
import type { FactoryResetReply as _berth_agent_v1_FactoryResetReply, FactoryResetReply__Output as _berth_agent_v1_FactoryResetReply__Output } from './berth/agent/v1/FactoryResetReply.ts';
import type { FactoryResetRequest as _berth_agent_v1_FactoryResetRequest, FactoryResetRequest__Output as _berth_agent_v1_FactoryResetRequest__Output } from './berth/agent/v1/FactoryResetRequest.ts';
import type { ImageInfo as _berth_agent_v1_ImageInfo, ImageInfo__Output as _berth_agent_v1_ImageInfo__Output } from './berth/agent/v1/ImageInfo.ts';
import type { InventoryReply as _berth_agent_v1_InventoryReply, InventoryReply__Output as _berth_agent_v1_InventoryReply__Output } from './berth/agent/v1/InventoryReply.ts';
import type { InventoryRequest as _berth_agent_v1_InventoryRequest, InventoryRequest__Output as _berth_agent_v1_InventoryRequest__Output } from './berth/agent/v1/InventoryRequest.ts';
import type { MigrateImagesRequest as _berth_agent_v1_MigrateImagesRequest, MigrateImagesRequest__Output as _berth_agent_v1_MigrateImagesRequest__Output } from './berth/agent/v1/MigrateImagesRequest.ts';
import type { MigrateProgress as _berth_agent_v1_MigrateProgress, MigrateProgress__Output as _berth_agent_v1_MigrateProgress__Output } from './berth/agent/v1/MigrateProgress.ts';
import type { Platform as _berth_agent_v1_Platform, Platform__Output as _berth_agent_v1_Platform__Output } from './berth/agent/v1/Platform.ts';
import type { SetImageStoreReply as _berth_agent_v1_SetImageStoreReply, SetImageStoreReply__Output as _berth_agent_v1_SetImageStoreReply__Output } from './berth/agent/v1/SetImageStoreReply.ts';
import type { SetImageStoreRequest as _berth_agent_v1_SetImageStoreRequest, SetImageStoreRequest__Output as _berth_agent_v1_SetImageStoreRequest__Output } from './berth/agent/v1/SetImageStoreRequest.ts';
import type { StatusReply as _berth_agent_v1_StatusReply, StatusReply__Output as _berth_agent_v1_StatusReply__Output } from './berth/agent/v1/StatusReply.ts';
import type { StatusRequest as _berth_agent_v1_StatusRequest, StatusRequest__Output as _berth_agent_v1_StatusRequest__Output } from './berth/agent/v1/StatusRequest.ts';
import type { StoreInventory as _berth_agent_v1_StoreInventory, StoreInventory__Output as _berth_agent_v1_StoreInventory__Output } from './berth/agent/v1/StoreInventory.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    agent: {
      v1: {
        Agent: SubtypeConstructor<typeof grpc.Client, _berth_agent_v1_AgentClient> & { service: _berth_agent_v1_AgentDefinition }
        AgentEvent: MessageTypeDefinition<_berth_agent_v1_AgentEvent, _berth_agent_v1_AgentEvent__Output>
        ContainerInfo: MessageTypeDefinition<_berth_agent_v1_ContainerInfo, _berth_agent_v1_ContainerInfo__Output>
        EventsRequest: MessageTypeDefinition<_berth_agent_v1_EventsRequest, _berth_agent_v1_EventsRequest__Output>
        FactoryResetReply: MessageTypeDefinition<_berth_agent_v1_FactoryResetReply, _berth_agent_v1_FactoryResetReply__Output>
        FactoryResetRequest: MessageTypeDefinition<_berth_agent_v1_FactoryResetRequest, _berth_agent_v1_FactoryResetRequest__Output>
        ImageInfo: MessageTypeDefinition<_berth_agent_v1_ImageInfo, _berth_agent_v1_ImageInfo__Output>
        ImageStore: EnumTypeDefinition
        InventoryReply: MessageTypeDefinition<_berth_agent_v1_InventoryReply, _berth_agent_v1_InventoryReply__Output>
        InventoryRequest: MessageTypeDefinition<_berth_agent_v1_InventoryRequest, _berth_agent_v1_InventoryRequest__Output>
        MigrateImagesRequest: MessageTypeDefinition<_berth_agent_v1_MigrateImagesRequest, _berth_agent_v1_MigrateImagesRequest__Output>
        MigrateProgress: MessageTypeDefinition<_berth_agent_v1_MigrateProgress, _berth_agent_v1_MigrateProgress__Output>
        Platform: MessageTypeDefinition<_berth_agent_v1_Platform, _berth_agent_v1_Platform__Output>
        SetImageStoreReply: MessageTypeDefinition<_berth_agent_v1_SetImageStoreReply, _berth_agent_v1_SetImageStoreReply__Output>
        SetImageStoreRequest: MessageTypeDefinition<_berth_agent_v1_SetImageStoreRequest, _berth_agent_v1_SetImageStoreRequest__Output>
        StatusReply: MessageTypeDefinition<_berth_agent_v1_StatusReply, _berth_agent_v1_StatusReply__Output>
        StatusRequest: MessageTypeDefinition<_berth_agent_v1_StatusRequest, _berth_agent_v1_StatusRequest__Output>
        StoreInventory: MessageTypeDefinition<_berth_agent_v1_StoreInventory, _berth_agent_v1_StoreInventory__Output>
      }
    }
  }
}

