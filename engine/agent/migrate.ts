// Copies every tagged classic image into the containerd store: docker save on the classic store,
// docker load on the containerd store. Config digests survive; the classic copies stay.
import fs from 'node:fs';
import path from 'node:path';
import { readClassicImages } from './classic-store.ts';
import { dockerDownload, dockerInfo, dockerUpload, storeFromInfo } from './docker-api.ts';
import { diskFree, readStoreImages } from './inventory.ts';
import { switchStore } from './store-switch.ts';
import type { MigrateProgress } from './agent-types.ts';
import { normalizeRef } from './image-ref.ts';

const WORK_DIR = '/mnt/data/berth-migrate';

const MB = 1024 * 1024;

export type Progress = (p: Partial<MigrateProgress> & { phase: string; message: string }) => void;

/** Must run inside exclusive(). Ends on the store that was active when it started. */
export async function migrateImages(progress: Progress): Promise<{ migrated: string[]; classicBytes: number }> {
  const images = readClassicImages().filter((i) => i.refs.length > 0);
  const classicBytes = images.reduce((s, i) => s + i.size, 0);
  if (images.length === 0) {
    progress({ phase: 'done', message: 'the classic store holds no tagged images', migrated: [], classic_bytes: 0 });
    return { migrated: [], classicBytes: 0 };
  }
  // An uncompressed save plus the unpacked copy in containerd, with a margin.
  const need = Math.ceil(classicBytes * 2.2) + 256 * MB;
  const free = diskFree('/var/lib/docker');
  if (free < need) {
    throw new Error(
      `not enough free disk space to migrate: needs about ${Math.round(need / MB)} MB, ${Math.round(free / MB)} MB free`,
    );
  }
  progress({
    phase: 'check',
    message: `${images.length} images (${Math.round(classicBytes / MB)} MB) to migrate`,
    total: images.length,
  });

  const start = storeFromInfo(await dockerInfo());
  fs.rmSync(WORK_DIR, { recursive: true, force: true });
  fs.mkdirSync(WORK_DIR, { recursive: true });
  try {
    if (start !== 'classic') {
      progress({ phase: 'switch', message: 'switching to the classic store to read its images' });
      await switchStore('classic');
    }
    const tars: Array<{ file: string; refs: string[]; config: string }> = [];
    for (const [i, img] of images.entries()) {
      const file = path.join(WORK_DIR, `${i}.tar`);
      progress({ phase: 'save', message: `saving ${img.refs.join(', ')}`, done: i, total: images.length });
      await dockerDownload(`/images/get?${img.refs.map((r) => `names=${encodeURIComponent(r)}`).join('&')}`, file);
      tars.push({ file, refs: img.refs, config: img.config_digest });
    }
    progress({ phase: 'switch', message: 'switching to the containerd store' });
    await switchStore('containerd');
    const migrated: string[] = [];
    for (const [i, t] of tars.entries()) {
      progress({ phase: 'load', message: `loading ${t.refs.join(', ')}`, done: i, total: tars.length });
      await dockerUpload('/images/load?quiet=1', t.file);
      fs.rmSync(t.file, { force: true });
      migrated.push(...t.refs);
    }
    const landed = await readStoreImages('containerd');
    for (const t of tars) {
      for (const ref of t.refs) {
        const got = landed.find((l) => l.refs.includes(normalizeRef(ref)));
        if (got?.config_digest !== t.config)
          throw new Error(`${ref} did not land in the containerd store with config ${t.config}`);
      }
    }
    if (start === 'classic') {
      progress({ phase: 'switch', message: 'switching back to the classic store' });
      await switchStore('classic');
    }
    progress({
      phase: 'done',
      message: `migrated ${migrated.length} image refs; the classic copies still hold ${Math.round(classicBytes / MB)} MB`,
      done: tars.length,
      total: tars.length,
      migrated,
      classic_bytes: classicBytes,
    });
    return { migrated, classicBytes };
  } catch (e) {
    const now = await dockerInfo().then(storeFromInfo, () => null);
    if (now !== start) await switchStore(start).catch(() => undefined);
    throw e;
  } finally {
    fs.rmSync(WORK_DIR, { recursive: true, force: true });
  }
}
