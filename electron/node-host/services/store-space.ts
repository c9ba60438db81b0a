// What each image store costs, and the plan for giving a hidden store's space back: the agent's
// measurements (engine/agent/disk-usage.ts) turned into the contract's shapes, plus the host's
// view of the disk file (its size limit and the blocks it really takes).
import fs from 'node:fs';
import {
  fromStoreEnum,
  type DiskUsageReply,
  type InventoryReply,
  type StoreUsage,
} from '../../../engine/agent/agent-types.ts';
import { normalizeRef } from '../../../engine/agent/image-ref.ts';
import type { DiskUsage, ReclaimPlan, StoreDiskUsage } from '../api/disk-types.ts';
import type { ImageStore } from '../api/store-types.ts';

/** The disk file on the host: qcow2's virtual size is the limit; allocated blocks are what it takes. */
export function diskFileSpace(file: string): DiskUsage['diskFile'] {
  const st = fs.statSync(file);
  return { path: file, sizeBytes: qcow2VirtualSize(file) ?? st.size, allocatedBytes: st.blocks * 512 };
}

/** A qcow2 header holds the disk's virtual size at byte 24 (big-endian), after the magic "QFI\xfb". */
export function qcow2VirtualSize(file: string): number | null {
  const head = Buffer.alloc(32);
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.readSync(fd, head, 0, 32, 0) < 32) return null;
  } finally {
    fs.closeSync(fd);
  }
  return head.readUInt32BE(0) === 0x514649fb ? Number(head.readBigUInt64BE(24)) : null;
}

function storeUsage(u: StoreUsage): StoreDiskUsage {
  return {
    store: fromStoreEnum(u.store) ?? 'classic',
    active: u.active,
    images: u.images,
    imagesBytes: u.images_bytes,
    containers: u.containers,
    containersBytes: u.containers_bytes,
    buildCacheBytes: u.build_cache_bytes,
    totalBytes: u.images_bytes + u.containers_bytes + u.build_cache_bytes,
  };
}

export function toDiskUsage(r: DiskUsageReply, diskFile: DiskUsage['diskFile']): DiskUsage {
  return {
    stores: [...r.stores].sort((a, b) => Number(b.active) - Number(a.active)).map(storeUsage),
    volumes: { count: r.volumes, bytes: r.volumes_bytes },
    dataDisk: { sizeBytes: r.disk_size_bytes, usedBytes: r.disk_used_bytes, freeBytes: r.disk_free_bytes },
    diskFile,
  };
}

/** What reclaiming `store` deletes; the caller has checked that it is the hidden one. */
export function reclaimPlan(store: ImageStore, inv: InventoryReply, usage: DiskUsage): ReclaimPlan {
  const hidden = inv.hidden;
  const u = usage.stores.find((s) => s.store === store);
  // Tags only the classic store holds are lost unless migrated; the containerd store spells them fully.
  const active = new Set(inv.active.images.flatMap((i) => i.refs.map(normalizeRef)));
  const notMigrated =
    store === 'classic'
      ? hidden.images
          .flatMap((i) => i.refs)
          .filter((r) => !active.has(normalizeRef(r)))
          .sort()
      : [];
  return {
    store,
    images: hidden.images.map((i) => ({ id: i.id, repoTags: i.refs, bytes: i.size })),
    containers: hidden.containers.map((c) => ({ id: c.id, name: c.name, image: c.image })),
    buildCacheBytes: u?.buildCacheBytes ?? 0,
    totalBytes: u?.totalBytes ?? hidden.total_image_bytes,
    notMigrated,
  };
}
