// The Images view's rows: one per repository:tag (as `docker images`), filtered by search and
// "dangling only", newest first, with a multi-platform image's variants under it when expanded.
import type { Image } from '../../../electron/node-host/api/docker-types.ts';
import type { PlatformVariant, StoreInventory } from '../../../electron/node-host/api/store-types.ts';

export interface ImageFilter { search: string; danglingOnly: boolean; }

export type ImageRow =
  | { kind: 'image'; key: string; image: Image; repoTag: string; variants: PlatformVariant[]; expanded: boolean }
  | { kind: 'variant'; key: string; parentKey: string; variant: PlatformVariant };

export function variantsById(inv: StoreInventory | undefined): Map<string, PlatformVariant[]> {
  const m = new Map<string, PlatformVariant[]>();
  for (const i of inv?.images ?? []) {
    if (i.variants.length > 1) m.set(i.id, i.variants);
    for (const t of i.repoTags) if (i.variants.length > 1) m.set(t, i.variants);
  }
  return m;
}

export function imageRows(images: Image[], inv: StoreInventory | undefined, f: ImageFilter, expanded: ReadonlySet<string>): ImageRow[] {
  const q = f.search.trim().toLowerCase();
  const variants = variantsById(inv);
  const rows: ImageRow[] = [];
  const sorted = [...images].sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
  for (const image of sorted) {
    if (f.danglingOnly && !image.dangling) continue;
    const tags = image.repoTags.length ? image.repoTags : ['<none>:<none>'];
    for (const repoTag of tags) {
      if (q && !repoTag.toLowerCase().includes(q) && !image.id.replace(/^sha256:/, '').startsWith(q)) continue;
      const key = `${image.id}|${repoTag}`;
      const v = variants.get(image.id) ?? variants.get(repoTag) ?? [];
      const isOpen = v.length > 0 && expanded.has(key);
      rows.push({ kind: 'image', key, image, repoTag, variants: v, expanded: isOpen });
      if (isOpen) for (const variant of v) rows.push({ kind: 'variant', key: `${key}|${variant.platform}|${variant.digest ?? ''}`, parentKey: key, variant });
    }
  }
  return rows;
}

/** "repo:tag" → its parts, for the Tag dialog's default and for display. */
export function splitRepoTag(repoTag: string): { repository: string; tag: string } {
  const slash = repoTag.lastIndexOf('/');
  const colon = repoTag.lastIndexOf(':');
  return colon > slash ? { repository: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) } : { repository: repoTag, tag: 'latest' };
}
