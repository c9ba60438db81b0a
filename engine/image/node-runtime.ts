// The Node.js runtime the guest agent runs on in the VM: the Node.js project's own Linux build, as
// the npm registry carries it (the package `npm install node` installs), pinned by version and
// npm integrity in node-runtime.json (a recipe file: a new pin is a new image). Debian's nodejs is
// built without Node's start-up snapshot and code cache, so under emulation it spent 1.4-1.7 s
// bootstrapping before the agent's first line (measured in the VM: `node -e 0`), against
// 0.3-0.6 s for this build, on the boot's critical path. Fetched with the host's own npm (its
// registry configuration) and kept in the cache's downloads (locate.ts), so a rebuild fetches nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { z } from 'zod';

const PinSchema = z.object({
  package: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+=*$/),
});
export type NodeRuntimePin = z.infer<typeof PinSchema>;

/** The recipe's pin; null for a recipe without one (a released recipe runs Debian's node). */
export function nodeRuntimePin(recipeDir: string): NodeRuntimePin | null {
  const file = path.join(recipeDir, 'node-runtime.json');
  if (!fs.existsSync(file)) return null;
  return PinSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** npm's integrity string ("sha512-<base64>") of these bytes. */
export function integrityOf(bytes: Buffer): string {
  return `sha512-${crypto.createHash('sha512').update(bytes).digest('base64')}`;
}

/** The pinned `node` binary, from the downloads cache or fetched and checked; throws with the reason. */
export function nodeRuntimeBinary(pin: NodeRuntimePin, downloads: string): string {
  const dir = path.join(downloads, `${pin.package}-${pin.version}`);
  const bin = path.join(dir, 'node');
  if (fs.existsSync(bin)) return bin;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-node-'));
  try {
    const spec = `${pin.package}@${pin.version}`;
    const r = spawnSync('npm', ['pack', spec, '--pack-destination', tmp, '--silent'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm pack ${spec} failed: ${(r.stderr || r.error?.message || '').trim()}`);
    const tgz = path.join(tmp, `${pin.package}-${pin.version}.tgz`);
    const got = integrityOf(fs.readFileSync(tgz));
    if (got !== pin.integrity) throw new Error(`${spec}: integrity ${got} is not the pinned ${pin.integrity}`);
    const x = spawnSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node'], { encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`cannot unpack ${spec}: ${x.stderr.trim()}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(path.join(tmp, 'package', 'bin', 'node'), `${bin}.partial`);
    fs.renameSync(`${bin}.partial`, bin);
    return bin;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
