// Text for `berth df`, `berth store` and `berth store reclaim`: what each image store costs, what a
// reclaim deletes, and what it gave back. Pure, so the unit tests pin the wording.
import type { DiskUsage, ReclaimPlan, ReclaimResult } from '../api/disk-types.ts';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** Binary units, one decimal: "64.0 MiB". Negative amounts (a file that grew) keep their sign. */
export function formatBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1024) return `${n} B`;
  let v = abs / 1024;
  let unit = 0;
  for (; v >= 1024 && unit < UNITS.length - 1; unit++) v /= 1024;
  return `${n < 0 ? '-' : ''}${v.toFixed(1)} ${UNITS[unit]}`;
}

/** Rows with each column padded to its widest cell (the last column is not padded). */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd(),
  );
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const counted = (n: number, bytes: number): string => `${n} (${formatBytes(bytes)})`;

/** `berth df`: a row per image store (the active one marked), volumes once, the disk in the VM and on the host. */
export function formatDiskUsage(d: DiskUsage): string {
  const rows = [
    ['image store', 'images', 'containers', 'build cache', 'total'],
    ...d.stores.map((s) => [
      `${s.store} (${s.active ? 'active' : 'hidden'})`,
      counted(s.images, s.imagesBytes),
      counted(s.containers, s.containersBytes),
      formatBytes(s.buildCacheBytes),
      formatBytes(s.totalBytes),
    ]),
  ];
  const file = d.diskFile;
  return [
    ...table(rows),
    '',
    `volumes     ${counted(d.volumes.count, d.volumes.bytes)}, shared by both stores`,
    `data disk   ${formatBytes(d.dataDisk.usedBytes)} used of ${formatBytes(d.dataDisk.sizeBytes)}, ${formatBytes(d.dataDisk.freeBytes)} free (in the VM)`,
    `disk file   ${file.path}`,
    `            ${formatBytes(file.allocatedBytes)} allocated on the host, limit ${formatBytes(file.sizeBytes)}`,
  ].join('\n');
}

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** True when a reclaim of this plan would delete nothing and free nothing. */
export function planIsEmpty(p: ReclaimPlan): boolean {
  return !p.images.length && !p.containers.length && p.buildCacheBytes === 0 && p.totalBytes === 0;
}

/** What `berth store reclaim` deletes, before it asks; with the migrate suggestion when tags would be lost. */
export function formatPlan(p: ReclaimPlan): string {
  const lines = [`Reclaiming the hidden ${p.store} image store deletes:`];
  lines.push(`  ${plural(p.images.length, 'image')}${p.images.length ? ':' : ''}`);
  if (p.images.length) {
    lines.push(
      ...table(
        p.images.map((i) => [
          '   ',
          i.repoTags.length ? i.repoTags.join(', ') : `${shortId(i.id)} (untagged)`,
          formatBytes(i.bytes),
        ]),
      ),
    );
  }
  lines.push(`  ${plural(p.containers.length, 'container')}${p.containers.length ? ':' : ''}`);
  if (p.containers.length) {
    lines.push(...table(p.containers.map((c) => ['   ', c.name || shortId(c.id), `image ${c.image}`])));
  }
  lines.push(`  build cache: ${formatBytes(p.buildCacheBytes)}`);
  lines.push(`  total: about ${formatBytes(p.totalBytes)} comes back`);
  if (p.notMigrated.length) {
    lines.push(
      '',
      `Only the ${p.store} store holds ${p.notMigrated.join(', ')}.`,
      `To keep ${p.notMigrated.length === 1 ? 'it' : 'them'}, run 'berth store migrate' first: it copies the classic store's tagged images into the containerd store.`,
    );
  }
  return lines.join('\n');
}

/** What a reclaim deleted and gave back, in the VM and on the host. */
export function formatReclaimResult(r: ReclaimResult): string {
  const shrunk = r.diskFileBefore - r.diskFileAfter;
  return [
    `Deleted ${plural(r.images, 'image')} and ${plural(r.containers, 'container')} from the ${r.store} image store.`,
    `Freed in the VM: ${formatBytes(r.reclaimedBytes)}`,
    `Disk file on the host: ${formatBytes(r.diskFileBefore)} -> ${formatBytes(r.diskFileAfter)} allocated (${shrunk >= 0 ? `${formatBytes(shrunk)} smaller` : `${formatBytes(-shrunk)} larger`})`,
  ].join('\n');
}
