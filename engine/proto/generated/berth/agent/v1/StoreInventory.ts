// Original file: berth_agent.proto

import type { ImageStore as _berth_agent_v1_ImageStore, ImageStore__Output as _berth_agent_v1_ImageStore__Output } from '../../../berth/agent/v1/ImageStore.ts';
import type { ImageInfo as _berth_agent_v1_ImageInfo, ImageInfo__Output as _berth_agent_v1_ImageInfo__Output } from '../../../berth/agent/v1/ImageInfo.ts';
import type { ContainerInfo as _berth_agent_v1_ContainerInfo, ContainerInfo__Output as _berth_agent_v1_ContainerInfo__Output } from '../../../berth/agent/v1/ContainerInfo.ts';
import type { Long } from '@grpc/proto-loader';

export interface StoreInventory {
  'store'?: (_berth_agent_v1_ImageStore);
  'images'?: (_berth_agent_v1_ImageInfo)[];
  'containers'?: (_berth_agent_v1_ContainerInfo)[];
  'total_image_bytes'?: (number | string | Long);
}

export interface StoreInventory__Output {
  'store': (_berth_agent_v1_ImageStore__Output);
  'images': (_berth_agent_v1_ImageInfo__Output)[];
  'containers': (_berth_agent_v1_ContainerInfo__Output)[];
  'total_image_bytes': (number);
}
