// The Volumes view's pure parts: order, who uses a volume (containers of either store), why it
// cannot be removed, and what a prune would take.
import type { Volume } from '../../../electron/node-host/api/volume-types.ts';
import { naturalCompare } from '../natural-sort.ts';

export function sortVolumes(list: readonly Volume[]): Volume[] {
  return [...list].sort((a, b) => naturalCompare(a.name, b.name));
}

/** "web (containerd store, running), old-db (classic store)". */
export function usedByText(v: Volume): string {
  return v.usedBy.map((u) => `${u.containerName} (${u.store} store${u.running ? ', running' : ''})`).join(', ');
}

/** Why Remove is refused, in the words the view shows; null when the volume may go. */
export function removeBlocked(v: Volume): string | null {
  if (v.usedBy.length === 0) return null;
  const n = v.usedBy.length;
  return `In use by ${n === 1 ? 'container' : `${n} containers`} ${usedByText(v)}: remove ${n === 1 ? 'it' : 'them'} first.`;
}

/** What "Prune unused volumes" deletes: the volumes no container of either store uses. */
export function unusedVolumes(list: readonly Volume[]): Volume[] {
  return sortVolumes(list.filter((v) => v.usedBy.length === 0));
}
