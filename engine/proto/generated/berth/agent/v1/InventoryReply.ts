// Original file: berth_agent.proto

import type { StoreInventory as _berth_agent_v1_StoreInventory, StoreInventory__Output as _berth_agent_v1_StoreInventory__Output } from '../../../berth/agent/v1/StoreInventory.ts';
import type { Long } from '@grpc/proto-loader';

export interface InventoryReply {
  'active'?: (_berth_agent_v1_StoreInventory | null);
  'hidden'?: (_berth_agent_v1_StoreInventory | null);
  'disk_free_bytes'?: (number | string | Long);
}

export interface InventoryReply__Output {
  'active': (_berth_agent_v1_StoreInventory__Output | null);
  'hidden': (_berth_agent_v1_StoreInventory__Output | null);
  'disk_free_bytes': (number);
}
