// Original file: berth_agent.proto

import type { ImageStore as _berth_agent_v1_ImageStore, ImageStore__Output as _berth_agent_v1_ImageStore__Output } from '../../../berth/agent/v1/ImageStore.ts';

export interface FactoryResetReply {
  'active_store'?: (_berth_agent_v1_ImageStore);
}

export interface FactoryResetReply__Output {
  'active_store': (_berth_agent_v1_ImageStore__Output);
}
