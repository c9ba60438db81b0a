// The Disk view's numbers as the page shows them (each size carries its exact bytes in data-bytes,
// each count in data-count), for comparing with `berth df --json`.
import type { Page } from 'playwright-core';
import type { DiskUsage } from '../electron/node-host/api/disk-types.ts';

export interface ShownStore {
  store: string;
  active: boolean;
  images: number;
  imagesBytes: number;
  containers: number;
  containersBytes: number;
  buildCacheBytes: number;
  totalBytes: number;
}
export interface ShownDisk {
  stores: ShownStore[];
  volumes: { count: number; bytes: number };
  /** [used, size, free] and [allocated, size] in the order the view prints them. */
  dataDisk: number[];
  diskFile: number[];
  diskFilePath: string;
}

export async function shownDisk(page: Page): Promise<ShownDisk> {
  // A string, so tsx's helpers (absent in the page) never end up in it.
  return page.evaluate(`(() => {
    const nums = (el, attr) => [...el.querySelectorAll('[' + attr + ']')].map((e) => Number(e.getAttribute(attr)));
    const one = (el, id, attr) => nums(el.querySelector('[data-testid="' + id + '"]'), attr)[0];
    const stores = [...document.querySelectorAll('[data-testid^="disk-store-"]')].map((row) => ({
      store: row.getAttribute('data-testid').slice('disk-store-'.length),
      active: row.getAttribute('aria-current') === 'true',
      images: one(row, 'images', 'data-count'), imagesBytes: one(row, 'images', 'data-bytes'),
      containers: one(row, 'containers', 'data-count'), containersBytes: one(row, 'containers', 'data-bytes'),
      buildCacheBytes: one(row, 'build-cache', 'data-bytes'), totalBytes: one(row, 'total', 'data-bytes'),
    }));
    const vol = document.querySelector('[data-testid="disk-volumes"]');
    const file = document.querySelector('[data-testid="disk-file"]');
    return {
      stores,
      volumes: { count: nums(vol, 'data-count')[0], bytes: nums(vol, 'data-bytes')[0] },
      dataDisk: nums(document.querySelector('[data-testid="disk-data"]'), 'data-bytes'),
      diskFile: nums(file, 'data-bytes'),
      diskFilePath: file.querySelector('.mono').textContent,
    };
  })()`);
}

/**
 * Where the page and the CLI differ. Each store's numbers, the volumes and the sizes must be
 * equal; the data disk's used/free and the file's allocated bytes move a little on their own
 * (containerd's database, logs), so they may differ by 1 % or 16 MiB.
 */
export function diskDifferences(shown: ShownDisk, cli: DiskUsage): string[] {
  const out: string[] = [];
  const same = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(`${what}: page ${JSON.stringify(a)}, CLI ${JSON.stringify(b)}`);
  };
  const near = (what: string, a: number | undefined, b: number): void => {
    if (a === undefined || Math.abs(a - b) > Math.max(0.01 * b, 16 * 2 ** 20)) out.push(`${what}: page ${a}, CLI ${b}`);
  };
  same(
    'stores',
    shown.stores,
    cli.stores.map((s) => ({
      store: s.store,
      active: s.active,
      images: s.images,
      imagesBytes: s.imagesBytes,
      containers: s.containers,
      containersBytes: s.containersBytes,
      buildCacheBytes: s.buildCacheBytes,
      totalBytes: s.totalBytes,
    })),
  );
  same('volumes', shown.volumes, cli.volumes);
  same('data disk size', shown.dataDisk[1], cli.dataDisk.sizeBytes);
  near('data disk used', shown.dataDisk[0], cli.dataDisk.usedBytes);
  near('data disk free', shown.dataDisk[2], cli.dataDisk.freeBytes);
  same('disk file size', shown.diskFile[1], cli.diskFile.sizeBytes);
  near('disk file allocated', shown.diskFile[0], cli.diskFile.allocatedBytes);
  same('disk file path', shown.diskFilePath, cli.diskFile.path);
  return out;
}
