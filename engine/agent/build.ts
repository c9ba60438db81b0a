// Bundles the guest agent into one ESM file for the VM's own Node (no node_modules in the guest).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { descriptorFromText } from '../proto/load.ts';
import { withBuildId } from './bundle-identity.ts';
import { BERTH_ROOT as ROOT } from '../shared/berth-root.ts';

export const AGENT_BUNDLE = path.join(ROOT, 'dist', 'agent', 'agent.mjs');

/** Each imported .proto becomes its JSON descriptor: parsed here once, not in the guest at every start. */
const protoDescriptors: Plugin = {
  name: 'proto-descriptors',
  setup(b) {
    b.onLoad({ filter: /\.proto$/ }, (args) => ({
      contents: JSON.stringify(descriptorFromText(fs.readFileSync(args.path, 'utf8'))),
      loader: 'json',
    }));
  },
};

/**
 * Node's built-ins through require() (the banner's) rather than ESM imports. For an ESM import of a
 * built-in, Node builds a facade of all its exports, and node:http's include getters that load
 * undici (measured: 110 ms of the agent's start in an idle emulated VM, for a fetch it never makes).
 */
const builtinsAsRequire: Plugin = {
  name: 'builtins-as-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'require-call'
        ? { path: args.path, external: true }
        : { path: args.path, namespace: 'node-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

export async function buildAgent(): Promise<{ file: string; sha256: string }> {
  await build({
    entryPoints: [path.join(ROOT, 'engine', 'agent', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: AGENT_BUNDLE,
    plugins: [protoDescriptors, builtinsAsRequire],
    logLevel: 'error',
    legalComments: 'none',
    // Fewer bytes to hand over the boot port, hash and parse in an emulated VM at every start
    // (0.9 -> 0.6 MB); identifiers stay, so stack traces in the agent's log still read.
    minifyWhitespace: true,
    minifySyntax: true,
    // grpc-js requires proto-loader only to serve channelz, which the agent never turns on:
    // bundled, its code (and its own protobufjs) was parsed at every agent start.
    external: ['@grpc/proto-loader'],
    // grpc-js is CommonJS and calls require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);",
    },
  });
  fs.writeFileSync(AGENT_BUNDLE, withBuildId(fs.readFileSync(AGENT_BUNDLE)));
  return {
    file: AGENT_BUNDLE,
    sha256: crypto.createHash('sha256').update(fs.readFileSync(AGENT_BUNDLE)).digest('hex'),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildAgent();
  console.log(
    `agent bundle: ${r.file} (${(fs.statSync(r.file).size / 1024).toFixed(0)} KiB, sha256 ${r.sha256.slice(0, 12)})`,
  );
}
