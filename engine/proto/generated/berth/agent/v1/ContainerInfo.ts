// Original file: berth_agent.proto

import type { Long } from '@grpc/proto-loader';

export interface ContainerInfo {
  'id'?: (string);
  'name'?: (string);
  'image'?: (string);
  'state'?: (string);
  'created'?: (number | string | Long);
}

export interface ContainerInfo__Output {
  'id': (string);
  'name': (string);
  'image': (string);
  'state': (string);
  'created': (number);
}
