// Original file: berth_agent.proto

import type { ImageStore as _berth_agent_v1_ImageStore, ImageStore__Output as _berth_agent_v1_ImageStore__Output } from '../../../berth/agent/v1/ImageStore.ts';
import type { Long } from '@grpc/proto-loader';

export interface AgentEvent {
  /**
   * "engine-state", "store-switching", "store-switched", "progress"
   */
  'kind'?: (string);
  'message'?: (string);
  'store'?: (_berth_agent_v1_ImageStore);
  'engine_state'?: (string);
  'done'?: (number);
  'total'?: (number);
  'time_ms'?: (number | string | Long);
}

export interface AgentEvent__Output {
  /**
   * "engine-state", "store-switching", "store-switched", "progress"
   */
  'kind': (string);
  'message': (string);
  'store': (_berth_agent_v1_ImageStore__Output);
  'engine_state': (string);
  'done': (number);
  'total': (number);
  'time_ms': (number);
}
