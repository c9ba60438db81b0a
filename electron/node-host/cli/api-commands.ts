// `berth api schema` prints the contract every front end speaks as JSON Schema; `berth api call`
// makes one call of it on the running host, for scripts and for checking what a host answers.
import type { DataDir } from '../../../engine/host/paths.ts';
import { contractJsonSchema, isCallName } from '../api/contract.ts';
import { withRunningHost } from './host-process.ts';

export async function apiCommand(data: DataDir, args: string[], usage: (msg: string) => Error): Promise<number> {
  const [sub, name, json] = args;
  if (sub === 'schema' && args.length === 1) {
    console.log(JSON.stringify(contractJsonSchema(), null, 2));
    return 0;
  }
  if (sub !== 'call') throw usage(sub ? `unknown 'berth api' command '${sub}'` : "'berth api' needs schema or call");
  if (!name || !isCallName(name))
    throw usage(`'berth api call' needs a call name (see 'berth api schema'), not '${name ?? ''}'`);
  let input: unknown = {};
  if (json !== undefined) {
    try {
      input = JSON.parse(json);
    } catch {
      throw usage(`the input of ${name} must be JSON, not ${json}`);
    }
  }
  // The client checks the input against the contract before sending: the type is the schema's.
  const out = await withRunningHost(data, (c) => c.call(name, input as never));
  if (out === null) throw new Error("Berth is not running; run 'berth start' first");
  console.log(JSON.stringify(out, null, 2));
  return 0;
}
