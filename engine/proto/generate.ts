// Generates the agent protocol's TypeScript types from berth_agent.proto with @grpc/proto-loader's
// own generator, with the decoding options both sides load the .proto with (load.ts), into
// engine/proto/generated/ (made by set-up, not checked in: generated code is no one's to edit;
// test/unit/agent-proto-types.test.ts fails when it is stale).
//   node bin/run-ts.js engine/proto/generate.ts            writes the files
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GENERATED_DIR = path.join(ROOT, 'engine', 'proto', 'generated');
const GENERATOR = path.join(ROOT, 'node_modules', '@grpc', 'proto-loader', 'build', 'bin', 'proto-loader-gen-types.js');

/** Must match PROTO_OPTIONS in load.ts: the types describe what that decoding produces. */
const OPTIONS = [
  '--keepCase',
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--grpcLib=@grpc/grpc-js',
  '--includeComments',
  '--importFileExtension=.ts',
];

/** Writes the types for berth_agent.proto under outDir; returns the files written (relative, sorted). */
export function generateAgentTypes(outDir = GENERATED_DIR): string[] {
  fs.rmSync(outDir, { recursive: true, force: true });
  // Run from engine/proto so "Original file:" comments name the .proto the same way on every machine.
  execFileSync(process.execPath, [GENERATOR, ...OPTIONS, `--outDir=${outDir}`, 'berth_agent.proto'], {
    cwd: path.join(ROOT, 'engine', 'proto'),
    stdio: 'pipe',
  });
  return listFiles(outDir);
}

export function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = generateAgentTypes();
  console.log(`agent types: ${files.length} files in ${path.relative(ROOT, GENERATED_DIR)}`);
}
