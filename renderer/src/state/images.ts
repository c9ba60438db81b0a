// The Images view's rows: one per repository:tag (as `docker images`), filtered by search and
// "dangling only", in natural tag order (app:2 before app:10; untagged last, newest first), with
// an image's variants (platforms, attestation manifests) under it when expanded: on the
// containerd store, which keeps image indexes.
import type { Image } from '../../../electron/node-host/api/docker-types.ts';
import type { PlatformVariant, StoreInventory } from '../../../electron/node-host/api/store-types.ts';
import { naturalCompare } from '../natural-sort.ts';

export interface ImageFilter {
  search: string;
  danglingOnly: boolean;
}

export type ImageRow =
  | { kind: 'image'; key: string; image: Image; repoTag: string; variants: PlatformVariant[]; expanded: boolean }
  | { kind: 'variant'; key: string; parentKey: string; variant: PlatformVariant };

/** An index lists attestations (SBOM, provenance) as manifests for the platform unknown/unknown. */
export function isAttestation(v: PlatformVariant): boolean {
  return v.attestation !== undefined || v.platform.split('/')[0] === 'unknown';
}

/** Each image's variants by ID and by tag; only the containerd store has indexes to expand. */
export function variantsById(inv: StoreInventory | undefined): Map<string, PlatformVariant[]> {
  const m = new Map<string, PlatformVariant[]>();
  if (inv?.store !== 'containerd') return m;
  for (const i of inv.images) {
    if (i.variants.length === 0) continue;
    // Platforms first (natural order), attestations after them.
    const v = [...i.variants].sort(
      (a, b) => Number(isAttestation(a)) - Number(isAttestation(b)) || naturalCompare(a.platform, b.platform),
    );
    m.set(i.id, v);
    for (const t of i.repoTags) m.set(t, v);
  }
  return m;
}

const UNTAGGED = '<none>:<none>';

/** Rows' order: tags naturally, untagged images after them, newest first. */
function byTag(a: { image: Image; repoTag: string }, b: { image: Image; repoTag: string }): number {
  const ua = a.repoTag === UNTAGGED;
  const ub = b.repoTag === UNTAGGED;
  if (ua !== ub) return ua ? 1 : -1;
  return (
    (ua ? 0 : naturalCompare(a.repoTag, b.repoTag)) ||
    b.image.created - a.image.created ||
    a.image.id.localeCompare(b.image.id)
  );
}

export function imageRows(
  images: Image[],
  inv: StoreInventory | undefined,
  f: ImageFilter,
  expanded: ReadonlySet<string>,
): ImageRow[] {
  const q = f.search.trim().toLowerCase();
  const variants = variantsById(inv);
  const rows: ImageRow[] = [];
  const tagged: Array<{ image: Image; repoTag: string }> = [];
  for (const image of images) {
    if (f.danglingOnly && !image.dangling) continue;
    for (const repoTag of image.repoTags.length ? image.repoTags : [UNTAGGED]) {
      if (q && !repoTag.toLowerCase().includes(q) && !image.id.replace(/^sha256:/, '').startsWith(q)) continue;
      tagged.push({ image, repoTag });
    }
  }
  for (const { image, repoTag } of tagged.sort(byTag)) {
    const key = `${image.id}|${repoTag}`;
    const v = variants.get(image.id) ?? variants.get(repoTag) ?? [];
    const isOpen = v.length > 0 && expanded.has(key);
    rows.push({ kind: 'image', key, image, repoTag, variants: v, expanded: isOpen });
    // An index may list the same platform twice (e.g. two attestations): the digest keeps keys apart.
    if (isOpen)
      v.forEach((variant, i) =>
        rows.push({
          kind: 'variant',
          key: `${key}|${variant.platform}|${variant.digest ?? i}`,
          parentKey: key,
          variant,
        }),
      );
  }
  return rows;
}

/** "repo:tag" → its parts, for the Tag dialog's default and for display. */
export function splitRepoTag(repoTag: string): { repository: string; tag: string } {
  const slash = repoTag.lastIndexOf('/');
  const colon = repoTag.lastIndexOf(':');
  return colon > slash
    ? { repository: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) }
    : { repository: repoTag, tag: 'latest' };
}
