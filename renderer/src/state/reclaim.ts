// The reclaim dialog's pure parts: what the hidden store's reclaim deletes, in display order, the
// migrate suggestion, and the result sentence.
import type { ReclaimPlan, ReclaimResult } from '../../../electron/node-host/api/disk-types.ts';
import { formatBytes, shortId } from '../format.ts';
import { naturalCompare } from '../natural-sort.ts';

export interface PlanImageLine {
  key: string;
  label: string;
  bytes: number;
}

/** One line per image, with all its tags; an untagged image by its short ID. */
export function planImageLines(plan: ReclaimPlan): PlanImageLine[] {
  const lines: PlanImageLine[] = [];
  for (const i of plan.images) {
    if (i.repoTags.length === 0) lines.push({ key: i.id, label: `<untagged> ${shortId(i.id)}`, bytes: i.bytes });
    else lines.push({ key: i.id, label: [...i.repoTags].sort(naturalCompare).join(', '), bytes: i.bytes });
  }
  // Tagged images first, by name; untagged ones after them.
  return lines.sort(
    (a, b) => Number(a.label.startsWith('<')) - Number(b.label.startsWith('<')) || naturalCompare(a.label, b.label),
  );
}

/** The suggestion to migrate first, when the classic store holds tags the containerd store lacks. */
export function migrateSuggestion(plan: ReclaimPlan): string | null {
  const n = plan.notMigrated.length;
  if (n === 0) return null;
  const shown = [...plan.notMigrated].sort(naturalCompare);
  const names = shown.length > 5 ? `${shown.slice(0, 5).join(', ')} and ${shown.length - 5} more` : shown.join(', ');
  return (
    `${n} ${n === 1 ? 'tag exists' : 'tags exist'} only in the ${plan.store} image store and would be lost: ${names}. ` +
    'Use “Migrate images” (berth store migrate) first to copy them into the containerd image store.'
  );
}

export function isEmptyPlan(plan: ReclaimPlan): boolean {
  return plan.images.length === 0 && plan.containers.length === 0 && plan.buildCacheBytes === 0;
}

export function reclaimResultText(r: ReclaimResult): string {
  const shrink = r.diskFileBefore - r.diskFileAfter;
  return (
    `Deleted ${r.images} ${r.images === 1 ? 'image' : 'images'} and ${r.containers} ${r.containers === 1 ? 'container' : 'containers'} ` +
    `from the ${r.store} image store: ${formatBytes(r.reclaimedBytes)} freed in the VM; the disk file on this computer went from ` +
    `${formatBytes(r.diskFileBefore)} to ${formatBytes(r.diskFileAfter)}${shrink > 0 ? ` (${formatBytes(shrink)} smaller)` : ''}.`
  );
}
