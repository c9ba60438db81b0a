// Gives the hidden store's space back: its containers, then its images and layers, then a trim so
// the host's qcow2 file shrinks (the data disk is attached with discard=unmap). Volumes, networks,
// daemon.json and the active store are never touched. Only the hidden store: dockerd is running on
// the other one, so nothing here is in use.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { status as grpcStatus } from '@grpc/grpc-js';
import { CONTAINER_DRIVER, readContainersOnDisk } from './containers-on-disk.ts';
import { dockerInfo, storeFromInfo } from './docker-api.ts';
import { DATA_MOUNT, fsSpace } from './disk-space.ts';
import { STORE_DIRS } from './disk-usage.ts';
import { readStoreImages } from './inventory.ts';
import type { StoreName } from './agent-types.ts';

const run = promisify(execFile);
const CONTAINERS_DIR = '/var/lib/docker/containers';
const BUILDKIT = '/var/lib/docker/buildkit';
const CLASSIC_BUILDKIT = ['snapshots.db', 'metadata_v2.db', 'containerdmeta.db', 'content'];

export interface ReclaimResult {
  images: number;
  containers: number;
  reclaimedBytes: number;
}

/** Must run inside exclusive(): no switch may make the store active meanwhile. */
export async function reclaimStore(store: StoreName, progress: (msg: string) => void): Promise<ReclaimResult> {
  const active = storeFromInfo(await dockerInfo());
  if (active === store) {
    // INVALID_ARGUMENT: the host answers it as a refusal (400), in these words.
    throw Object.assign(
      new Error(
        `the ${store} image store is active: only the hidden store can be reclaimed (switch to the other store first)`,
      ),
      { grpcCode: grpcStatus.INVALID_ARGUMENT },
    );
  }
  const mounted = mountsUnder(STORE_DIRS[store]);
  if (mounted.length)
    throw new Error(`the ${store} store still has filesystems mounted (${mounted[0]}): nothing was deleted`);
  const before = fsSpace().used;
  const images = await readStoreImages(store);
  const containers = readContainersOnDisk().filter((c) => c.driver === CONTAINER_DRIVER[store]);

  progress(`deleting ${containers.length} container(s) of the ${store} store`);
  for (const c of containers) fs.rmSync(path.join(CONTAINERS_DIR, c.id), { recursive: true, force: true });
  progress(`deleting ${images.length} image(s) of the ${store} store and their layers`);
  if (store === 'classic') {
    // The whole graph-driver store: dockerd makes it afresh when the classic store is next active.
    for (const dir of STORE_DIRS.classic) fs.rmSync(dir, { recursive: true, force: true });
    // BuildKit's records of those layers, which only its graph-driver mode writes (measured: a
    // containerd-store build touches cache.db and history.db only). Left behind, the next classic
    // build fails on a layer directory that is gone.
    for (const f of CLASSIC_BUILDKIT) fs.rmSync(path.join(BUILDKIT, f), { recursive: true, force: true });
  } else {
    await deleteContainerdStore(containers.map((c) => c.id));
  }
  progress('trimming the data disk');
  // ext4 hands deleted blocks back at its next commit: sync first, or fstrim finds little to trim.
  await run('sync', ['-f', DATA_MOUNT]).catch(() => undefined);
  await run('fstrim', [DATA_MOUNT]).catch((e: Error) => progress(`fstrim: ${e.message}`));
  return { images: images.length, containers: containers.length, reclaimedBytes: Math.max(0, before - fsSpace().used) };
}

/**
 * Namespace moby's images, the hidden containers' snapshots, then what containerd's garbage
 * collector frees (content and image snapshots no image refers to any more).
 */
async function deleteContainerdStore(containerIds: string[]): Promise<void> {
  const ctr = (...args: string[]): Promise<string> =>
    run('ctr', ['-n', 'moby', ...args], { maxBuffer: 64 << 20 }).then((r) => r.stdout);
  for (const id of containerIds) {
    await ctr('containers', 'rm', id).catch(() => undefined);
    await ctr('snapshots', '--snapshotter', 'overlayfs', 'rm', id).catch(() => undefined);
  }
  // Leases pin content for dockerd's operations on the containerd store; none runs on a hidden store.
  const leases = (await ctr('leases', 'ls', '-q').catch(() => '')).split('\n').filter(Boolean);
  if (leases.length) await ctr('leases', 'rm', ...leases).catch(() => undefined);
  const names = (await ctr('images', 'ls', '-q')).split('\n').filter(Boolean);
  // --sync: the garbage collection runs before the call returns, so the space is free to trim.
  for (let i = 0; i < names.length; i += 50) await ctr('images', 'rm', '--sync', ...names.slice(i, i + 50));
  if (!names.length) await ctr('content', 'prune', 'references').catch(() => undefined);
}

/** Mount points at or under the given directories (a hidden store should have none). */
function mountsUnder(dirs: string[]): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => dirs.some((d) => p === d || p.startsWith(`${d}/`)));
}
