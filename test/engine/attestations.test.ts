// Attestations end to end against the real VM, through the host's docker CLI and the contract the
// dashboard uses: a build with an SBOM (a local generator image, Docker Hub being out of reach) and
// max provenance keeps its attestation manifests in the index on the containerd store; pushed and
// pulled back into an emptied store, the index digest is the same and the registry holds the
// statements; on the classic store the build gets Docker's own refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BerthEnv } from '../helpers/berth-env.ts';
import { BUSYBOX } from '../helpers/scratch-image.ts';
import { AttestationRig, attestedBuild, writeAppContext } from '../helpers/sbom-generator.ts';
import { StoreInventorySchema, type StoreInventory } from '../../electron/node-host/api/store-types.ts';

const MIN = 60_000;
const SPDX = 'https://spdx.dev/Document';
const SLSA = /^https:\/\/slsa\.dev\/provenance\//;
const APP = 'berth-test/attested:1';

describe('attestations (real VM)', { timeout: 30 * MIN }, () => {
  const env = new BerthEnv({ shared: true });
  const rig = new AttestationRig(env, 'berth-test');
  const ok = (cmd: string) => rig.ok(cmd);
  let pushed = '';
  let indexDigest = '';
  let platformDigest = '';

  /** What the dashboard's Images view is given: the contract's store.inventory, checked by its schema. */
  const inventory = async (): Promise<StoreInventory> => {
    const r = await env.cli(['api', 'call', 'store.inventory']);
    assert.equal(r.code, 0, r.stderr);
    return StoreInventorySchema.parse(JSON.parse(r.stdout));
  };
  const imageOf = (inv: StoreInventory, ref: string) =>
    inv.images.find((i) => i.repoTags.some((t) => t === ref || t === `docker.io/${ref}`));
  const storeUse = async (store: 'classic' | 'containerd'): Promise<void> => {
    const r = await env.cli(['store', 'use', store]);
    assert.equal(r.code, 0, `store use ${store}: ${r.stderr}`);
  };

  before(async () => {
    await rig.setUp();
    pushed = `${rig.guestRegistry}/${APP}`;
  });
  after(async () => {
    await rig.tearDown([APP, pushed]);
    await env.dispose();
  });

  it('keeps the SBOM and provenance manifests in the image index on the containerd store', async () => {
    const out = await ok(attestedBuild(rig.generator, APP, writeAppContext(path.join(rig.tmp, 'app'), 'attested')));
    assert.match(out, new RegExp(`generating sbom using ${rig.generator}`), 'the SBOM came from the local generator');
    indexDigest = (await ok(`docker image inspect --format '{{.Id}}' ${APP}`)).trim();
    const img = imageOf(await inventory(), APP);
    assert.equal(img?.id, indexDigest, 'the image is its index');
    const platforms = img.variants.filter((v) => !v.attestation);
    assert.deepEqual(
      platforms.map((v) => [v.platform, v.present]),
      [['linux/amd64', true]],
    );
    platformDigest = platforms[0]?.digest ?? '';
    const atts = img.variants.filter((v) => v.attestation);
    assert.equal(atts.length, 1, JSON.stringify(img.variants));
    assert.equal(atts[0]?.platform, 'unknown/unknown');
    assert.equal(atts[0]?.present, true);
    assert.equal(
      atts[0]?.attestation?.subject,
      'linux/amd64',
      'the attestation manifest names the platform it is about',
    );
    const types = atts[0]?.attestation?.predicateTypes ?? [];
    assert.ok(types.includes(SPDX), `an SPDX SBOM: ${types.join(', ')}`);
    assert.ok(
      types.some((t) => SLSA.test(t)),
      `SLSA provenance: ${types.join(', ')}`,
    );
  });

  it('pushes, and pulls back into an emptied store with the same index digest; imagetools lists both statements', async () => {
    assert.ok(indexDigest, 'built by the test before');
    await ok(`docker tag ${APP} ${pushed}`);
    assert.match(
      await ok(`docker push ${pushed}`),
      new RegExp(`digest: ${indexDigest}`),
      'the registry holds the same index',
    );
    await ok(`docker rmi ${APP} ${pushed} ${rig.generator}`);
    const emptied = await inventory();
    assert.equal(
      emptied.images.find((i) => i.id === indexDigest),
      undefined,
      'the index is gone from the store',
    );

    assert.match(await ok(`docker pull ${pushed}`), new RegExp(`Digest: ${indexDigest}`));
    assert.equal(
      (await ok(`docker image inspect --format '{{.Id}}' ${pushed}`)).trim(),
      indexDigest,
      'same index digest',
    );
    const img = imageOf(await inventory(), pushed);
    const att = img?.variants.find((v) => v.attestation);
    assert.equal(
      att?.attestation?.subject,
      'linux/amd64',
      `the pulled index lists the attestation manifest: ${JSON.stringify(img?.variants)}`,
    );
    // dockerd 28 pulls an index's platform, not its attestation manifests: they stay in the registry.
    assert.equal(att.present, false);

    // The host reaches the same registry on its loopback.
    const remote = `127.0.0.1:${rig.registry?.port}/${APP}`;
    const raw = JSON.parse(await ok(`docker buildx imagetools inspect --raw ${remote}`)) as {
      manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
    };
    const listed = raw.manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest');
    assert.deepEqual(
      listed.map((m) => [m.digest, m.annotations?.['vnd.docker.reference.digest']]),
      [[att.digest, platformDigest]],
    );
    const sbom = JSON.parse(await ok(`docker buildx imagetools inspect --format '{{json .SBOM}}' ${remote}`)) as {
      SPDX?: { files?: Array<{ fileName: string; checksums: Array<{ algorithm: string; checksumValue: string }> }> };
    };
    const busybox = sbom.SPDX?.files?.find((f) => f.fileName === './bin/busybox');
    const sha = crypto.createHash('sha256').update(fs.readFileSync(BUSYBOX)).digest('hex');
    assert.deepEqual(
      busybox?.checksums,
      [{ algorithm: 'SHA256', checksumValue: sha }],
      "the SBOM lists the image's files with their digests",
    );
    assert.ok(sbom.SPDX?.files?.some((f) => f.fileName === './marker'));
    const prov = JSON.parse(await ok(`docker buildx imagetools inspect --format '{{json .Provenance}}' ${remote}`)) as {
      SLSA?: { buildConfig?: unknown };
    };
    assert.ok(prov.SLSA?.buildConfig, 'mode=max provenance records the build steps (buildConfig)');
  });

  it("on the classic store the same build gets Docker's own refusal, and nothing is stored", async () => {
    await storeUse('classic');
    try {
      const r = await rig.host(attestedBuild(rig.generator, APP, path.join(rig.tmp, 'app')));
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stdout, /Attestation is not supported for the docker driver/);
      assert.match(r.stdout, /turn on the containerd image store/);
      const inv = await inventory();
      assert.equal(inv.store, 'classic');
      assert.equal(imageOf(inv, APP), undefined);
    } finally {
      await storeUse('containerd');
    }
  });
});
