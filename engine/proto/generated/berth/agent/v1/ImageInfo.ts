// Original file: berth_agent.proto

import type { Platform as _berth_agent_v1_Platform, Platform__Output as _berth_agent_v1_Platform__Output } from '../../../berth/agent/v1/Platform.ts';
import type { Long } from '@grpc/proto-loader';

export interface ImageInfo {
  'id'?: (string);
  'refs'?: (string)[];
  'config_digest'?: (string);
  'size'?: (number | string | Long);
  /**
   * Unix seconds.
   */
  'created'?: (number | string | Long);
  'platforms'?: (_berth_agent_v1_Platform)[];
  'dangling'?: (boolean);
}

export interface ImageInfo__Output {
  'id': (string);
  'refs': (string)[];
  'config_digest': (string);
  'size': (number);
  /**
   * Unix seconds.
   */
  'created': (number);
  'platforms': (_berth_agent_v1_Platform__Output)[];
  'dangling': (boolean);
}
