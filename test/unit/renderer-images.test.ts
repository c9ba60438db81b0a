// The Images view's rows: natural tag order, untagged last, and variants (platforms, then
// attestation manifests) expandable on the containerd store only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imageRows, isAttestation } from '../../renderer/src/state/images.ts';
import type { Image } from '../../electron/node-host/api/docker-types.ts';
import type { StoreInventory } from '../../electron/node-host/api/store-types.ts';

function image(id: string, repoTags: string[], created: number): Image {
  return {
    id: `sha256:${id.padEnd(64, '0')}`,
    repoTags,
    repoDigests: [],
    created,
    size: 1000,
    usedBy: [],
    dangling: repoTags.length === 0,
  };
}
const all = { search: '', danglingOnly: false };
const tags = (rows: ReturnType<typeof imageRows>): string[] =>
  rows.flatMap((r) => (r.kind === 'image' ? [r.repoTag] : []));

describe('image rows', () => {
  it('sorts tags naturally (app:2 before app:10), untagged images last and newest first', () => {
    const images = [
      image('a', ['app:10'], 5),
      image('b', ['app:2', 'zzz:1'], 1),
      image('c', [], 3),
      image('d', ['app:1'], 9),
      image('e', [], 7),
      image('f', ['App:3'], 2),
    ];
    assert.deepEqual(tags(imageRows(images, undefined, all, new Set())), [
      'app:1',
      'app:2',
      'App:3',
      'app:10',
      'zzz:1',
      '<none>:<none>',
      '<none>:<none>',
    ]);
    const untagged = imageRows(images, undefined, all, new Set()).slice(-2);
    assert.deepEqual(
      untagged.map((r) => r.kind === 'image' && r.image.id.slice(7, 8)),
      ['e', 'c'],
    );
  });

  it('expands an image into its platforms, then its attestation manifests, on the containerd store', () => {
    const img = image('a', ['app:1'], 1);
    const variants = [
      { platform: 'unknown/unknown', digest: 'sha256:att1', size: 900, present: true },
      { platform: 'linux/arm64/v8', digest: 'sha256:arm', size: 2_000_000, present: false },
      { platform: 'linux/amd64', digest: 'sha256:amd', size: 3_000_000, present: true },
      { platform: 'unknown/unknown', digest: 'sha256:att2', size: 800, present: true },
    ];
    const inv: StoreInventory = { store: 'containerd', images: [{ id: img.id, repoTags: img.repoTags, variants }] };
    const closed = imageRows([img], inv, all, new Set());
    assert.equal(closed.length, 1);
    assert.equal(closed[0]!.kind === 'image' && closed[0]!.variants.length, 4, 'expandable');
    const open = imageRows([img], inv, all, new Set([`${img.id}|app:1`]));
    const shown = open
      .filter((r) => r.kind === 'variant')
      .map((r) => r.kind === 'variant' && [r.variant.platform, isAttestation(r.variant)]);
    assert.deepEqual(shown, [
      ['linux/amd64', false],
      ['linux/arm64/v8', false],
      ['unknown/unknown', true],
      ['unknown/unknown', true],
    ]);
    assert.equal(
      new Set(open.map((r) => r.key)).size,
      open.length,
      'row keys are unique (two attestations of one platform)',
    );
  });

  it('has nothing to expand on the classic store (no image indexes)', () => {
    const img = image('a', ['app:1'], 1);
    const inv: StoreInventory = {
      store: 'classic',
      images: [{ id: img.id, repoTags: img.repoTags, variants: [{ platform: 'linux/amd64', present: true }] }],
    };
    const rows = imageRows([img], inv, all, new Set([`${img.id}|app:1`]));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.kind === 'image' && rows[0]!.variants.length, 0);
  });
});
