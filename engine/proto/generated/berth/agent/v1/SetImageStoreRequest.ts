// Original file: berth_agent.proto

import type { ImageStore as _berth_agent_v1_ImageStore, ImageStore__Output as _berth_agent_v1_ImageStore__Output } from '../../../berth/agent/v1/ImageStore.ts';

export interface SetImageStoreRequest {
  'store'?: (_berth_agent_v1_ImageStore);
  /**
   * When set: the user's own daemon.json keys (a JSON object), replacing the previous ones.
   */
  'user_daemon_json'?: (string);
  '_user_daemon_json'?: "user_daemon_json";
}

export interface SetImageStoreRequest__Output {
  'store': (_berth_agent_v1_ImageStore__Output);
  /**
   * When set: the user's own daemon.json keys (a JSON object), replacing the previous ones.
   */
  'user_daemon_json'?: (string);
  '_user_daemon_json'?: "user_daemon_json";
}
