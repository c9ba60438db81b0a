// Loads a .proto given as text (the agent bundles it; the host reads it from disk), so neither
// side needs the file at a path at run time.
import protobuf from 'protobufjs';
import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';

export const PROTO_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

export function packageFromText(protoText: string): PackageDefinition {
  const root = protobuf.parse(protoText, { keepCase: true }).root;
  return fromJSON(root.toJSON(), PROTO_OPTIONS);
}

export function rootFromText(protoText: string): protobuf.Root {
  return protobuf.parse(protoText, { keepCase: true }).root;
}
