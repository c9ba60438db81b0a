// The agent bundle inlines each .proto as its JSON descriptor, made at build time (build.ts), so
// the guest parses no .proto text as it starts.
declare module '*.proto' {
  import type { INamespace } from 'protobufjs';
  const descriptor: INamespace;
  export default descriptor;
}
