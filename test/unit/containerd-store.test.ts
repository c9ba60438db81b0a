// The containerd store's listing from its content: an index's platforms with their manifest
// digest and bytes, attestation manifests apart, and a platform whose layers are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readContainerdImages } from '../../engine/agent/containerd-store.ts';
import type { ContainerdClient, CtrImage, Descriptor } from '../../engine/agent/containerd-client.ts';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A content store in memory: digest → JSON document or a blob of some size. */
function fakeCtr(images: CtrImage[], blobs: Record<string, object | number>): ContainerdClient {
  return {
    listImages: async () => images,
    blobSize: async (d: string) =>
      d in blobs ? (typeof blobs[d] === 'number' ? (blobs[d] as number) : JSON.stringify(blobs[d]).length) : null,
    readJson: async (d: string) => {
      const v = blobs[d];
      if (v === undefined || typeof v === 'number') throw new Error(`not JSON: ${d}`);
      return v;
    },
  } as unknown as ContainerdClient;
}

test('an index lists each platform with its digest and bytes, and its attestations apart', async () => {
  const desc = (digest: string, extra: Partial<Descriptor> & { platform?: object } = {}): Descriptor => ({
    media_type: MANIFEST,
    digest,
    size: 1,
    ...extra,
  });
  const blobs: Record<string, object | number> = {
    'sha256:index': {
      manifests: [
        desc('sha256:m-amd', { platform: { os: 'linux', architecture: 'amd64' } }),
        desc('sha256:m-arm', { platform: { os: 'linux', architecture: 'arm64' } }),
        desc('sha256:m-att', {
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: {
            'vnd.docker.reference.type': 'attestation-manifest',
            'vnd.docker.reference.digest': 'sha256:m-amd',
          },
        }),
      ],
    },
    'sha256:m-amd': { config: desc('sha256:c-amd'), layers: [desc('sha256:l-amd')] },
    'sha256:c-amd': { created: '2026-01-01T00:00:00Z', os: 'linux', architecture: 'amd64' },
    'sha256:l-amd': 1000,
    // arm64: its manifest is here, its layer is not (pulled for amd64 only).
    'sha256:m-arm': { config: desc('sha256:c-arm'), layers: [desc('sha256:l-arm')] },
    'sha256:c-arm': { os: 'linux', architecture: 'arm64' },
    'sha256:m-att': {
      config: desc('sha256:c-att'),
      layers: [
        desc('sha256:l-att', { annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' } }),
        desc('sha256:l-prov', { annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' } }),
      ],
    },
    'sha256:l-prov': 200,
    'sha256:c-att': {},
    'sha256:l-att': 300,
  };
  const [img] = await readContainerdImages(
    fakeCtr(
      [{ name: 'docker.io/library/app:1', target: { media_type: INDEX, digest: 'sha256:index', size: 1 } }],
      blobs,
    ),
  );
  assert.ok(img);
  assert.deepEqual(
    img.platforms.map((p) => [`${p.os}/${p.architecture}`, p.present, p.digest]),
    [
      ['linux/amd64', true, 'sha256:m-amd'],
      ['linux/arm64', false, 'sha256:m-arm'],
    ],
  );
  const size = (d: string): number =>
    typeof blobs[d] === 'number' ? (blobs[d] as number) : JSON.stringify(blobs[d]).length;
  assert.equal(img.platforms[0]!.size, size('sha256:m-amd') + size('sha256:c-amd') + 1000);
  assert.deepEqual(
    img.attestations.map((a) => [a.present, a.digest, a.size, a.reference_digest, a.predicate_types]),
    [
      [
        true,
        'sha256:m-att',
        size('sha256:m-att') + size('sha256:c-att') + 300 + 200,
        'sha256:m-amd',
        ['https://spdx.dev/Document', 'https://slsa.dev/provenance/v0.2'],
      ],
    ],
  );
  assert.equal(img.config_digest, 'sha256:c-amd', 'the host platform is the one described');
});
