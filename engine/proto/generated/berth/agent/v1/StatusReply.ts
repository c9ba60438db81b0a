// Original file: berth_agent.proto

import type { ImageStore as _berth_agent_v1_ImageStore, ImageStore__Output as _berth_agent_v1_ImageStore__Output } from '../../../berth/agent/v1/ImageStore.ts';

export interface StatusReply {
  /**
   * "running", "stopped", "restarting", "failed"
   */
  'engine_state'?: (string);
  'active_store'?: (_berth_agent_v1_ImageStore);
  /**
   * dockerd's DriverStatus, flattened "key=value".
   */
  'driver_status'?: (string)[];
  'storage_driver'?: (string);
  'docker_version'?: (string);
  'containerd_version'?: (string);
  'agent_version'?: (string);
  /**
   * The full /etc/docker/daemon.json as dockerd reads it.
   */
  'daemon_json'?: (string);
}

export interface StatusReply__Output {
  /**
   * "running", "stopped", "restarting", "failed"
   */
  'engine_state': (string);
  'active_store': (_berth_agent_v1_ImageStore__Output);
  /**
   * dockerd's DriverStatus, flattened "key=value".
   */
  'driver_status': (string)[];
  'storage_driver': (string);
  'docker_version': (string);
  'containerd_version': (string);
  'agent_version': (string);
  /**
   * The full /etc/docker/daemon.json as dockerd reads it.
   */
  'daemon_json': (string);
}
