// Original file: berth_agent.proto

import type { ImageStore as _berth_agent_v1_ImageStore, ImageStore__Output as _berth_agent_v1_ImageStore__Output } from '../../../berth/agent/v1/ImageStore.ts';
import type { Long } from '@grpc/proto-loader';

export interface SetImageStoreReply {
  'active_store'?: (_berth_agent_v1_ImageStore);
  'changed'?: (boolean);
  'restart_ms'?: (number | string | Long);
}

export interface SetImageStoreReply__Output {
  'active_store': (_berth_agent_v1_ImageStore__Output);
  'changed': (boolean);
  'restart_ms': (number);
}
