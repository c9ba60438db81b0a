// Original file: berth_agent.proto

import type { Long } from '@grpc/proto-loader';

export interface MigrateProgress {
  /**
   * "check", "save", "switch", "load", "done"
   */
  'phase'?: (string);
  'message'?: (string);
  'done'?: (number);
  'total'?: (number);
  /**
   * On "done": the migrated refs and the space the classic copies still hold.
   */
  'migrated'?: (string)[];
  'classic_bytes'?: (number | string | Long);
}

export interface MigrateProgress__Output {
  /**
   * "check", "save", "switch", "load", "done"
   */
  'phase': (string);
  'message': (string);
  'done': (number);
  'total': (number);
  /**
   * On "done": the migrated refs and the space the classic copies still hold.
   */
  'migrated': (string)[];
  'classic_bytes': (number);
}
