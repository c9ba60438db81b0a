// Which agent build a bundle is, readable without hashing it: build.ts writes the sha256 of the
// bundle's code as its first line, the agent reads that line from its own file, and the host
// from the bundle it hands the VM. (Hashing the 1 MB file in the guest at every start cost most
// of a second under emulation.) A damaged copy is the boot port's and SSH install's to catch:
// both check the whole file's sha256.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const PREFIX = '// berth-agent-build ';

/** The bundle with its build line in front. */
export function withBuildId(code: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${PREFIX}${crypto.createHash('sha256').update(code).digest('hex')}\n`), code]);
}

/** The build id on a bundle's first line, or null when it has none. */
export function buildIdOf(head: Buffer): string | null {
  const line = head.subarray(0, 128).toString('utf8').split('\n', 1)[0]!;
  const id = line.startsWith(PREFIX) ? line.slice(PREFIX.length).trim() : '';
  return /^[0-9a-f]{64}$/.test(id) ? id : null;
}

let own: string | null | undefined;

/** This agent's own build id (read once from its file's first line). */
export function ownBuildId(): string | null {
  if (own !== undefined) return own;
  const fd = fs.openSync(fileURLToPath(import.meta.url), 'r');
  try {
    const head = Buffer.alloc(128);
    own = buildIdOf(head.subarray(0, fs.readSync(fd, head, 0, 128, 0)));
  } finally {
    fs.closeSync(fd);
  }
  return own;
}
