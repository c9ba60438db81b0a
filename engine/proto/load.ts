// Loads a .proto given as text (the agent bundles it; the host reads it from disk), so neither
// side needs the file at a path at run time.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType as AgentPackage } from './generated/berth_agent.ts';

/** The generated types (generate.ts) describe what these options decode: change both together. */
export const PROTO_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

export function packageFromText(protoText: string): PackageDefinition {
  const root = protobuf.parse(protoText, { keepCase: true }).root;
  return fromJSON(root.toJSON(), PROTO_OPTIONS);
}

export function rootFromText(protoText: string): protobuf.Root {
  return protobuf.parse(protoText, { keepCase: true }).root;
}

/**
 * The agent's gRPC package, typed by the generated ProtoGrpcType. grpc-js returns an untyped
 * GrpcObject; naming its type is how the generator's types are meant to be attached.
 */
export function agentPackage(protoText: string): AgentPackage {
  return grpc.loadPackageDefinition(packageFromText(protoText)) as unknown as AgentPackage;
}
