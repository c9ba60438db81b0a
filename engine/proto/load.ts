// The agent protocol for grpc-js, from a .proto's text (the host reads the file) or its JSON
// descriptor (the agent's bundle carries it, made at build time). Service definitions are built
// here with @grpc/proto-loader's decoding rules (PROTO_OPTIONS) but without proto-loader itself:
// its descriptor machinery and its own copy of protobufjs were half a second of the agent's
// start-up under emulation (CPU profile), and that start-up is on every engine start's path.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { ProtoGrpcType as AgentPackage } from './generated/berth_agent.ts';

/** The generated types (generate.ts) describe what these options decode: change both together. */
export const PROTO_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;
/** keepCase applies when parsing; the rest when decoding. */
const { keepCase: _parseOnly, ...TO_OBJECT } = PROTO_OPTIONS;

type PackageDefinition = Parameters<typeof grpc.loadPackageDefinition>[0];

export function rootFromText(protoText: string): protobuf.Root {
  return protobuf.parse(protoText, { keepCase: PROTO_OPTIONS.keepCase }).root;
}

/** What the agent's bundle holds for each .proto (agent/build.ts): the parsed file as JSON. */
export function descriptorFromText(protoText: string): protobuf.INamespace {
  return rootFromText(protoText).toJSON();
}

export function rootFromDescriptor(json: protobuf.INamespace): protobuf.Root {
  return protobuf.Root.fromJSON(json);
}

function services(ns: protobuf.NamespaceBase): protobuf.Service[] {
  return ns.nestedArray.flatMap((n) =>
    n instanceof protobuf.Service ? [n] : n instanceof protobuf.Namespace ? services(n) : [],
  );
}

/** One grpc-js service definition per service in the root, keyed by its full name. */
export function packageDefinition(root: protobuf.Root): PackageDefinition {
  root.resolveAll();
  const def: PackageDefinition = {};
  for (const svc of services(root)) {
    const name = svc.fullName.slice(1);
    def[name] = Object.fromEntries(
      svc.methodsArray.map((m) => {
        const req = m.resolvedRequestType!;
        const res = m.resolvedResponseType!;
        return [
          m.name,
          {
            path: `/${name}/${m.name}`,
            requestStream: !!m.requestStream,
            responseStream: !!m.responseStream,
            requestSerialize: (v: object) => Buffer.from(req.encode(req.fromObject(v)).finish()),
            requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), TO_OBJECT),
            responseSerialize: (v: object) => Buffer.from(res.encode(res.fromObject(v)).finish()),
            responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), TO_OBJECT),
            originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
          },
        ];
      }),
    );
  }
  return def;
}

/**
 * The agent's gRPC package, typed by the generated ProtoGrpcType. grpc-js returns an untyped
 * GrpcObject; naming its type is how the generator's types are meant to be attached.
 */
export function agentPackage(proto: string | protobuf.INamespace): AgentPackage {
  const root = typeof proto === 'string' ? rootFromText(proto) : rootFromDescriptor(proto);
  return grpc.loadPackageDefinition(packageDefinition(root)) as unknown as AgentPackage;
}
