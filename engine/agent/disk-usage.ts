// What each image store takes on the data disk. The active store is dockerd's own account
// (/system/df); the hidden one cannot be asked, so it is measured on disk: the classic store is
// overlay2's layer and metadata directories, the containerd store its content store and overlayfs
// snapshots (namespace moby). Volumes belong to both stores and are counted once.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CONTAINER_DRIVER, readContainersOnDisk, type DiskContainer } from './containers-on-disk.ts';
import { dockerJson, dockerInfo, storeFromInfo } from './docker-api.ts';
import { du, fsSpace, parseHumanBytes } from './disk-space.ts';
import { readStoreImages } from './inventory.ts';
import { toStoreEnum, type DiskUsageReply, type StoreName, type StoreUsage, type VolumeMount } from './agent-types.ts';
import { otherStore } from '../shared/image-store.ts';

const run = promisify(execFile);
const DOCKER = '/var/lib/docker';
const CONTAINERD = '/var/lib/containerd';
/** Where each store keeps its image data (and, for classic, its containers' writable layers too). */
export const STORE_DIRS: Record<StoreName, string[]> = {
  classic: [path.join(DOCKER, 'overlay2'), path.join(DOCKER, 'image', 'overlay2')],
  containerd: [
    path.join(CONTAINERD, 'io.containerd.content.v1.content'),
    path.join(CONTAINERD, 'io.containerd.snapshotter.v1.overlayfs'),
  ],
};
/**
 * Lazy pulling's snapshotter keeps what it fetched (and its snapshots' upper layers) here, on the
 * data disk behind /var/lib/containerd-stargz-grpc: part of the containerd store's images, which
 * dockerd's own account leaves out (it sees a lazily pulled layer as nearly empty). Measured with
 * -x, so the FUSE-mounted layers themselves are not walked.
 */
const STARGZ_CACHE = '/mnt/data/containerd-stargz-grpc';

interface SystemDf {
  Images?: Array<{ Size?: number; SharedSize?: number }> | null;
  LayersSize?: number;
  Containers?: Array<{
    Id: string;
    Names?: string[];
    State?: string;
    SizeRw?: number;
    Mounts?: Array<{ Type?: string; Name?: string }>;
  }> | null;
  Volumes?: Array<{ Name: string; UsageData?: { Size?: number } | null }> | null;
  BuildCache?: Array<{ Size?: number; Shared?: boolean }> | null;
}

export async function diskUsage(mountsOnly = false): Promise<DiskUsageReply> {
  const active = storeFromInfo(await dockerInfo());
  const hidden: StoreName = otherStore(active);
  const onDisk = readContainersOnDisk().filter((c) => c.driver === CONTAINER_DRIVER[hidden]);
  if (mountsOnly) {
    const live = await dockerJson<NonNullable<SystemDf['Containers']>>('GET', '/containers/json?all=1');
    // statfs is as cheap as the mounts: the filesystem's fill comes along (a full disk's advice uses it).
    const space = fsSpace();
    return {
      stores: [],
      volumes: 0,
      volumes_bytes: 0,
      disk_size_bytes: space.size,
      disk_used_bytes: space.used,
      disk_free_bytes: space.free,
      mounts: volumeMounts(active, live, hidden, onDisk),
    };
  }
  const df = await dockerJson<SystemDf>('GET', '/system/df');
  const containers = df.Containers ?? [];
  const activeUsage: StoreUsage = {
    store: toStoreEnum(active),
    active: true,
    images: (df.Images ?? []).length,
    images_bytes:
      (df.LayersSize ?? 0) + (active === 'containerd' ? ((await du([STARGZ_CACHE])).get(STARGZ_CACHE) ?? 0) : 0),
    containers: containers.length,
    containers_bytes: containers.reduce((s, c) => s + Math.max(0, c.SizeRw ?? 0), 0),
    build_cache_bytes: (df.BuildCache ?? []).filter((b) => !b.Shared).reduce((s, b) => s + (b.Size ?? 0), 0),
  };
  const hiddenUsage = await measureHidden(hidden, onDisk);
  const mounts = volumeMounts(active, containers, hidden, onDisk);
  const volumes = df.Volumes ?? [];
  const space = fsSpace();
  return {
    stores: [activeUsage, hiddenUsage],
    mounts,
    volumes: volumes.length,
    volumes_bytes: volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0),
    disk_size_bytes: space.size,
    disk_used_bytes: space.used,
    disk_free_bytes: space.free,
  };
}

/** Which container of which store mounts which named volume: the active store's from dockerd, the hidden one's from disk. */
function volumeMounts(
  active: StoreName,
  live: NonNullable<SystemDf['Containers']>,
  hidden: StoreName,
  onDisk: DiskContainer[],
): VolumeMount[] {
  return [
    ...live.flatMap((c) =>
      (c.Mounts ?? [])
        .filter((m) => m.Type === 'volume' && m.Name)
        .map((m) => ({
          volume: m.Name!,
          store: toStoreEnum(active),
          container_id: c.Id,
          container_name: (c.Names?.[0] ?? '').replace(/^\//, ''),
          running: c.State === 'running',
        })),
    ),
    ...onDisk.flatMap((c) =>
      c.volumes.map((v) => ({
        volume: v,
        store: toStoreEnum(hidden),
        container_id: c.id,
        container_name: c.name,
        running: false,
      })),
    ),
  ];
}

/** The hidden store, measured on disk; its containers' writable layers are split out of the total. */
async function measureHidden(store: StoreName, containers: DiskContainer[]): Promise<StoreUsage> {
  const images = (await readStoreImages(store)).length;
  const dirs = await du(store === 'containerd' ? [...STORE_DIRS.containerd, STARGZ_CACHE] : STORE_DIRS[store]);
  const total = [...dirs.values()].reduce((s, n) => s + n, 0);
  const rw = store === 'classic' ? await classicWritableBytes(containers) : await containerdWritableBytes(containers);
  return {
    store: toStoreEnum(store),
    active: false,
    images,
    images_bytes: Math.max(0, total - rw),
    containers: containers.length,
    containers_bytes: rw,
    // A hidden store's build cache layers sit among its layers (overlay2, or containerd snapshots)
    // and are counted in images_bytes: only dockerd can tell them apart, and it runs the other store.
    build_cache_bytes: 0,
  };
}

/** overlay2 keeps a container's writable layer at overlay2/<mount-id> (and its -init layer). */
async function classicWritableBytes(containers: DiskContainer[]): Promise<number> {
  const dirs = containers.flatMap((c) => {
    const id = readMountId(c.id);
    return id ? [path.join(DOCKER, 'overlay2', id), path.join(DOCKER, 'overlay2', `${id}-init`)] : [];
  });
  return [...(await du(dirs)).values()].reduce((s, n) => s + n, 0);
}

function readMountId(containerId: string): string | null {
  try {
    return (
      fs
        .readFileSync(path.join(DOCKER, 'image', 'overlay2', 'layerdb', 'mounts', containerId, 'mount-id'), 'utf8')
        .trim() || null
    );
  } catch {
    return null;
  }
}

/** The containerd store keys a container's writable snapshot by the container's ID. */
async function containerdWritableBytes(containers: DiskContainer[]): Promise<number> {
  if (!containers.length) return 0;
  const ids = new Set(containers.map((c) => c.id));
  try {
    const { stdout } = await run('ctr', ['-n', 'moby', 'snapshots', '--snapshotter', 'overlayfs', 'usage'], {
      maxBuffer: 16 << 20,
    });
    // Columns "KEY SIZE INODES", padded with spaces; SIZE itself holds one ("4.0 KiB").
    return stdout
      .split('\n')
      .map((l) => /^(\S+)\s+([\d.]+\s*[KMGTP]?i?B)\s+\d+/.exec(l.trim()))
      .filter((m) => m && ids.has(m[1]!))
      .reduce((s, m) => s + parseHumanBytes(m![2]!), 0);
  } catch {
    return 0;
  }
}
