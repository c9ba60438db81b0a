// Attestation manifests from the index to the Images view: found by annotation, tied to the
// platform they are about, their predicate types read from their layers and named for people.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attestedDigest, isAttestationManifest, predicateTypes } from '../../engine/agent/attestations.ts';
import { imageVariants } from '../../electron/node-host/services/image-variants.ts';
import { StoreInventorySchema } from '../../electron/node-host/api/store-types.ts';
import { attestationKinds, attestationText, predicateLabel } from '../../renderer/src/state/attestations.ts';
import type { ImageInfo } from '../../engine/agent/agent-types.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const SPDX = 'https://spdx.dev/Document';
const SLSA02 = 'https://slsa.dev/provenance/v0.2';

describe('attestation manifests in an index', () => {
  it('are marked by vnd.docker.reference.type, or by the unknown/unknown platform of older BuildKits', () => {
    const marked = {
      media_type: MANIFEST,
      digest: 'sha256:a',
      size: 1,
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': 'sha256:m' },
    };
    assert.equal(isAttestationManifest(marked), true);
    assert.equal(attestedDigest(marked), 'sha256:m');
    assert.equal(
      isAttestationManifest({ media_type: MANIFEST, digest: 'sha256:b', size: 1, platform: { os: 'unknown' } }),
      true,
    );
    assert.equal(
      isAttestationManifest({ media_type: MANIFEST, digest: 'sha256:c', size: 1, platform: { os: 'linux' } }),
      false,
    );
    assert.equal(attestedDigest({ media_type: MANIFEST, digest: 'sha256:c', size: 1 }), '');
  });

  it("state what their layers' in-toto.io/predicate-type annotations say, each type once", () => {
    const layer = (t?: string) => ({
      media_type: 'application/vnd.in-toto+json',
      digest: 'sha256:l',
      size: 1,
      ...(t ? { annotations: { 'in-toto.io/predicate-type': t } } : {}),
    });
    assert.deepEqual(predicateTypes({ layers: [layer(SPDX), layer(SPDX), layer(), layer(SLSA02)] }), [SPDX, SLSA02]);
    assert.deepEqual(predicateTypes(undefined), [], 'a manifest not on disk states nothing');
  });
});

describe("the contract's variants", () => {
  const info = (att: Partial<ImageInfo['attestations'][number]>): ImageInfo => ({
    id: 'sha256:idx',
    refs: ['app:1'],
    config_digest: 'sha256:cfg',
    size: 10,
    created: 0,
    dangling: false,
    platforms: [{ os: 'linux', architecture: 'amd64', variant: '', present: true, digest: 'sha256:m', size: 5 }],
    attestations: [
      {
        digest: 'sha256:att',
        present: true,
        size: 3,
        reference_digest: 'sha256:m',
        predicate_types: [SPDX, SLSA02],
        ...att,
      },
    ],
  });

  it('name the platform each attestation manifest is about, and pass the contract', () => {
    const variants = imageVariants(info({}));
    assert.deepEqual(variants, [
      { platform: 'linux/amd64', present: true, digest: 'sha256:m', size: 5 },
      {
        platform: 'unknown/unknown',
        present: true,
        digest: 'sha256:att',
        size: 3,
        attestation: { subject: 'linux/amd64', predicateTypes: [SPDX, SLSA02] },
      },
    ]);
    StoreInventorySchema.parse({ store: 'containerd', images: [{ id: 'sha256:idx', repoTags: ['app:1'], variants }] });
  });

  it('say so when the index names a manifest it does not list, or the content was not pulled', () => {
    const [, att] = imageVariants(info({ reference_digest: 'sha256:gone', present: false, predicate_types: [] }));
    assert.deepEqual(att?.attestation, { subject: '', predicateTypes: [] });
    assert.equal(att && attestationText(att), 'attestation manifest: kept in the registry');
  });
});

describe("the Images view's words", () => {
  it('names SBOM formats and provenance versions, and unknown predicate types as they are', () => {
    assert.equal(predicateLabel(SPDX), 'SBOM (SPDX)');
    assert.equal(predicateLabel('https://cyclonedx.org/bom/v1.5'), 'SBOM (CycloneDX)');
    assert.equal(predicateLabel(SLSA02), 'provenance (SLSA v0.2)');
    assert.equal(predicateLabel('https://slsa.dev/provenance/v1'), 'provenance (SLSA v1)');
    assert.equal(predicateLabel('https://example.com/vuln/v1'), 'https://example.com/vuln/v1');
  });

  it("sums an image's attestations up by kind and lists each manifest's statements", () => {
    const variants = imageVariants({
      ...{ id: 'i', refs: [], config_digest: '', size: 0, created: 0, dangling: false },
      platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8', present: true, digest: 'sha256:arm', size: 1 }],
      attestations: [
        {
          digest: 'sha256:a1',
          present: true,
          size: 1,
          reference_digest: 'sha256:arm',
          predicate_types: [SPDX, SLSA02],
        },
        {
          digest: 'sha256:a2',
          present: true,
          size: 1,
          reference_digest: 'sha256:x',
          predicate_types: ['https://slsa.dev/provenance/v1'],
        },
      ],
    });
    assert.deepEqual(attestationKinds(variants), ['SBOM', 'provenance']);
    assert.equal(
      variants[1] && attestationText(variants[1]),
      'attestations of linux/arm64/v8: SBOM (SPDX), provenance (SLSA v0.2)',
    );
  });
});
