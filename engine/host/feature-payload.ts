// What every Features setting that needs files the VM image lacks shares: set-up puts a payload
// (a directory) into Berth's downloads cache with a manifest written last, and turning the feature
// on copies that directory onto the data disk, once per build. The VM image stays small and a
// feature that is off costs nothing at boot; the root disk is thrown away at every boot, so what
// a payload needs outside the data disk is the feature's own boot step.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { downloadsDir } from '../image/locate.ts';
import type { ExecOptions } from './guest-link.ts';

/** Where payloads live in the VM: on the data disk, beside /var/lib/docker. */
export const FEATURES_ON_DISK = '/mnt/data/berth-features';

/** The part of the guest link a feature needs: a root command with stdin. */
export interface GuestRunner {
  run(command: string, opts?: ExecOptions): Promise<string>;
}

export interface Payload<M> {
  dir: string;
  manifest: M;
}

/**
 * The newest whole payload named `<prefix>-*` in the downloads cache whose manifest `accept`s, or
 * null (set-up has not made it). A directory without its manifest is a build cut short.
 */
export function cachedPayload<M>(
  prefix: string,
  manifestName: string,
  accept: (m: unknown, dir: string) => M | null,
  downloads = downloadsDir(),
): Payload<M> | null {
  let names: string[];
  try {
    names = fs.readdirSync(downloads);
  } catch {
    return null;
  }
  for (const n of names
    .filter((x) => x.startsWith(`${prefix}-`) && !x.includes('.partial-'))
    .sort()
    .reverse()) {
    const dir = path.join(downloads, n);
    try {
      const manifest = accept(JSON.parse(fs.readFileSync(path.join(dir, manifestName), 'utf8')), dir);
      if (manifest) return { dir, manifest };
    } catch {
      /* not a whole payload */
    }
  }
  return null;
}

/**
 * Fills `<downloads>/<name>` through `fill(tmp)` in a scratch directory beside it, writes the
 * manifest last and renames it into place, so a payload is whole or absent.
 */
export function writePayload<M>(
  name: string,
  manifestName: string,
  fill: (tmp: string) => M,
  downloads = downloadsDir(),
): Payload<M> {
  const dir = path.join(downloads, name);
  const tmp = `${dir}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const manifest = fill(tmp);
    fs.writeFileSync(path.join(tmp, manifestName), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    return { dir, manifest };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Copies a payload directory to FEATURES_ON_DISK/<name> unless the same build is there already
 * (its manifest, which set-up wrote last, is compared byte for byte). zstd-compressed tar: the
 * guest has zstd, and unpacking it costs little CPU under emulation. Returns whether it copied.
 */
export async function ensureOnDataDisk(
  guest: GuestRunner,
  payloadDir: string,
  manifestName: string,
  name: string,
): Promise<boolean> {
  const dest = `${FEATURES_ON_DISK}/${name}`;
  const manifest = fs.readFileSync(path.join(payloadDir, manifestName), 'utf8');
  const there = await guest.run(`cat ${dest}/${manifestName} 2>/dev/null || true`);
  if (there === manifest) return false;
  // Not spawnSync: the host serves the docker socket and the data plane meanwhile.
  const packed = await promisify(execFile)(
    'bash',
    ['-c', 'set -o pipefail; tar -C "$1" -cf - . | zstd -q -1 -c', 'pack', payloadDir],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  ).catch((e: Error) => {
    throw new Error(`packing ${payloadDir} failed: ${e.message}`);
  });
  // Unpacked beside, then swapped in: a copy cut short never looks like the build.
  await guest.run(
    `set -e; rm -rf ${dest}.tmp ${dest}.old; mkdir -p ${dest}.tmp; zstd -q -d -c | tar -C ${dest}.tmp -xf -; ` +
      `if [ -e ${dest} ]; then mv ${dest} ${dest}.old; fi; mv ${dest}.tmp ${dest}; rm -rf ${dest}.old`,
    { stdin: packed.stdout, timeoutMs: 600_000 },
  );
  return true;
}

/** A shell script from the repo run as root in the VM with `args`; its text travels in the command. */
export async function runGuestScript(
  guest: GuestRunner,
  scriptPath: string,
  args: readonly string[],
  opts?: ExecOptions,
): Promise<string> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return guest.run(
    `sh -c ${quote(fs.readFileSync(scriptPath, 'utf8'))} ${[path.basename(scriptPath), ...args].map(quote).join(' ')}`,
    opts,
  );
}
