// Original file: berth_agent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentEvent as _berth_agent_v1_AgentEvent, AgentEvent__Output as _berth_agent_v1_AgentEvent__Output } from '../../../berth/agent/v1/AgentEvent.ts';
import type { EventsRequest as _berth_agent_v1_EventsRequest, EventsRequest__Output as _berth_agent_v1_EventsRequest__Output } from '../../../berth/agent/v1/EventsRequest.ts';
import type { FactoryResetReply as _berth_agent_v1_FactoryResetReply, FactoryResetReply__Output as _berth_agent_v1_FactoryResetReply__Output } from '../../../berth/agent/v1/FactoryResetReply.ts';
import type { FactoryResetRequest as _berth_agent_v1_FactoryResetRequest, FactoryResetRequest__Output as _berth_agent_v1_FactoryResetRequest__Output } from '../../../berth/agent/v1/FactoryResetRequest.ts';
import type { InventoryReply as _berth_agent_v1_InventoryReply, InventoryReply__Output as _berth_agent_v1_InventoryReply__Output } from '../../../berth/agent/v1/InventoryReply.ts';
import type { InventoryRequest as _berth_agent_v1_InventoryRequest, InventoryRequest__Output as _berth_agent_v1_InventoryRequest__Output } from '../../../berth/agent/v1/InventoryRequest.ts';
import type { MigrateImagesRequest as _berth_agent_v1_MigrateImagesRequest, MigrateImagesRequest__Output as _berth_agent_v1_MigrateImagesRequest__Output } from '../../../berth/agent/v1/MigrateImagesRequest.ts';
import type { MigrateProgress as _berth_agent_v1_MigrateProgress, MigrateProgress__Output as _berth_agent_v1_MigrateProgress__Output } from '../../../berth/agent/v1/MigrateProgress.ts';
import type { SetImageStoreReply as _berth_agent_v1_SetImageStoreReply, SetImageStoreReply__Output as _berth_agent_v1_SetImageStoreReply__Output } from '../../../berth/agent/v1/SetImageStoreReply.ts';
import type { SetImageStoreRequest as _berth_agent_v1_SetImageStoreRequest, SetImageStoreRequest__Output as _berth_agent_v1_SetImageStoreRequest__Output } from '../../../berth/agent/v1/SetImageStoreRequest.ts';
import type { StatusReply as _berth_agent_v1_StatusReply, StatusReply__Output as _berth_agent_v1_StatusReply__Output } from '../../../berth/agent/v1/StatusReply.ts';
import type { StatusRequest as _berth_agent_v1_StatusRequest, StatusRequest__Output as _berth_agent_v1_StatusRequest__Output } from '../../../berth/agent/v1/StatusRequest.ts';

export interface AgentClient extends grpc.Client {
  /**
   * State changes, store switches and progress of long operations.
   */
  Events(argument: _berth_agent_v1_EventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_AgentEvent__Output>;
  Events(argument: _berth_agent_v1_EventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_AgentEvent__Output>;
  /**
   * State changes, store switches and progress of long operations.
   */
  events(argument: _berth_agent_v1_EventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_AgentEvent__Output>;
  events(argument: _berth_agent_v1_EventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_AgentEvent__Output>;
  
  /**
   * Stops the engine, wipes both stores, containers and volumes, writes the default daemon.json.
   */
  FactoryReset(argument: _berth_agent_v1_FactoryResetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  FactoryReset(argument: _berth_agent_v1_FactoryResetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  FactoryReset(argument: _berth_agent_v1_FactoryResetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  FactoryReset(argument: _berth_agent_v1_FactoryResetRequest, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  /**
   * Stops the engine, wipes both stores, containers and volumes, writes the default daemon.json.
   */
  factoryReset(argument: _berth_agent_v1_FactoryResetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  factoryReset(argument: _berth_agent_v1_FactoryResetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  factoryReset(argument: _berth_agent_v1_FactoryResetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  factoryReset(argument: _berth_agent_v1_FactoryResetRequest, callback: grpc.requestCallback<_berth_agent_v1_FactoryResetReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Images and containers of the active and the hidden store.
   */
  Inventory(argument: _berth_agent_v1_InventoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  Inventory(argument: _berth_agent_v1_InventoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  Inventory(argument: _berth_agent_v1_InventoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  Inventory(argument: _berth_agent_v1_InventoryRequest, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  /**
   * Images and containers of the active and the hidden store.
   */
  inventory(argument: _berth_agent_v1_InventoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  inventory(argument: _berth_agent_v1_InventoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  inventory(argument: _berth_agent_v1_InventoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  inventory(argument: _berth_agent_v1_InventoryRequest, callback: grpc.requestCallback<_berth_agent_v1_InventoryReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Copies every tagged classic image into the containerd store; classic copies stay.
   */
  MigrateImages(argument: _berth_agent_v1_MigrateImagesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_MigrateProgress__Output>;
  MigrateImages(argument: _berth_agent_v1_MigrateImagesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_MigrateProgress__Output>;
  /**
   * Copies every tagged classic image into the containerd store; classic copies stay.
   */
  migrateImages(argument: _berth_agent_v1_MigrateImagesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_MigrateProgress__Output>;
  migrateImages(argument: _berth_agent_v1_MigrateImagesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_agent_v1_MigrateProgress__Output>;
  
  /**
   * Writes features.containerd-snapshotter into daemon.json (keeping every other key), restarts
   * dockerd, verifies DriverStatus. On failure the previous daemon.json is restored and dockerd's
   * own error is returned.
   */
  SetImageStore(argument: _berth_agent_v1_SetImageStoreRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  SetImageStore(argument: _berth_agent_v1_SetImageStoreRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  SetImageStore(argument: _berth_agent_v1_SetImageStoreRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  SetImageStore(argument: _berth_agent_v1_SetImageStoreRequest, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  /**
   * Writes features.containerd-snapshotter into daemon.json (keeping every other key), restarts
   * dockerd, verifies DriverStatus. On failure the previous daemon.json is restored and dockerd's
   * own error is returned.
   */
  setImageStore(argument: _berth_agent_v1_SetImageStoreRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  setImageStore(argument: _berth_agent_v1_SetImageStoreRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  setImageStore(argument: _berth_agent_v1_SetImageStoreRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  setImageStore(argument: _berth_agent_v1_SetImageStoreRequest, callback: grpc.requestCallback<_berth_agent_v1_SetImageStoreReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Engine state, the active store as dockerd itself reports it, versions.
   */
  Status(argument: _berth_agent_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  Status(argument: _berth_agent_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  Status(argument: _berth_agent_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  Status(argument: _berth_agent_v1_StatusRequest, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  /**
   * Engine state, the active store as dockerd itself reports it, versions.
   */
  status(argument: _berth_agent_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  status(argument: _berth_agent_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  status(argument: _berth_agent_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  status(argument: _berth_agent_v1_StatusRequest, callback: grpc.requestCallback<_berth_agent_v1_StatusReply__Output>): grpc.ClientUnaryCall;
  
}

export interface AgentHandlers extends grpc.UntypedServiceImplementation {
  /**
   * State changes, store switches and progress of long operations.
   */
  Events: grpc.handleServerStreamingCall<_berth_agent_v1_EventsRequest__Output, _berth_agent_v1_AgentEvent>;
  
  /**
   * Stops the engine, wipes both stores, containers and volumes, writes the default daemon.json.
   */
  FactoryReset: grpc.handleUnaryCall<_berth_agent_v1_FactoryResetRequest__Output, _berth_agent_v1_FactoryResetReply>;
  
  /**
   * Images and containers of the active and the hidden store.
   */
  Inventory: grpc.handleUnaryCall<_berth_agent_v1_InventoryRequest__Output, _berth_agent_v1_InventoryReply>;
  
  /**
   * Copies every tagged classic image into the containerd store; classic copies stay.
   */
  MigrateImages: grpc.handleServerStreamingCall<_berth_agent_v1_MigrateImagesRequest__Output, _berth_agent_v1_MigrateProgress>;
  
  /**
   * Writes features.containerd-snapshotter into daemon.json (keeping every other key), restarts
   * dockerd, verifies DriverStatus. On failure the previous daemon.json is restored and dockerd's
   * own error is returned.
   */
  SetImageStore: grpc.handleUnaryCall<_berth_agent_v1_SetImageStoreRequest__Output, _berth_agent_v1_SetImageStoreReply>;
  
  /**
   * Engine state, the active store as dockerd itself reports it, versions.
   */
  Status: grpc.handleUnaryCall<_berth_agent_v1_StatusRequest__Output, _berth_agent_v1_StatusReply>;
  
}

export interface AgentDefinition extends grpc.ServiceDefinition {
  Events: MethodDefinition<_berth_agent_v1_EventsRequest, _berth_agent_v1_AgentEvent, _berth_agent_v1_EventsRequest__Output, _berth_agent_v1_AgentEvent__Output>
  FactoryReset: MethodDefinition<_berth_agent_v1_FactoryResetRequest, _berth_agent_v1_FactoryResetReply, _berth_agent_v1_FactoryResetRequest__Output, _berth_agent_v1_FactoryResetReply__Output>
  Inventory: MethodDefinition<_berth_agent_v1_InventoryRequest, _berth_agent_v1_InventoryReply, _berth_agent_v1_InventoryRequest__Output, _berth_agent_v1_InventoryReply__Output>
  MigrateImages: MethodDefinition<_berth_agent_v1_MigrateImagesRequest, _berth_agent_v1_MigrateProgress, _berth_agent_v1_MigrateImagesRequest__Output, _berth_agent_v1_MigrateProgress__Output>
  SetImageStore: MethodDefinition<_berth_agent_v1_SetImageStoreRequest, _berth_agent_v1_SetImageStoreReply, _berth_agent_v1_SetImageStoreRequest__Output, _berth_agent_v1_SetImageStoreReply__Output>
  Status: MethodDefinition<_berth_agent_v1_StatusRequest, _berth_agent_v1_StatusReply, _berth_agent_v1_StatusRequest__Output, _berth_agent_v1_StatusReply__Output>
}
