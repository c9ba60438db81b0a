// Attestations end to end against the real VM, through the host's docker CLI, the contract the
// dashboard uses and the Images view in Debian's Chromium (one story, one build): an image built
// with an SBOM (a local generator image, Docker Hub being out of reach) and max provenance keeps its
// attestation manifest in the index on the containerd store, and the view expands it into its
// platform and the attestation, named by what it states. Pushed and pulled back into an emptied
// store, the index digest is the same, the registry holds the statements, and the view lists the
// manifest as left there. On the classic store the build gets Docker's own refusal and the view
// says the containerd store keeps attestations.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { BerthEnv } from '../test/helpers/berth-env.ts';
import { BUSYBOX } from '../test/helpers/scratch-image.ts';
import { AttestationRig, attestedBuild, writeAppContext } from '../test/helpers/sbom-generator.ts';
import { StoreInventorySchema, type StoreInventory } from '../electron/node-host/api/store-types.ts';
import { launchChromium } from './browser.ts';
import { screenshotter } from './story.ts';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results/attestations');
const MIN = 60_000;
const APP = 'e2e/attested:1';
const SPDX = 'https://spdx.dev/Document';
const SLSA = /^https:\/\/slsa\.dev\/provenance\//;

describe('attestations: CLI, contract and dashboard (real VM, Chromium)', { timeout: 30 * MIN }, () => {
  const env = new BerthEnv({ shared: true });
  const rig = new AttestationRig(env, 'e2e');
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let shot: (name: string) => Promise<string>;
  let pushed = '';
  let indexDigest = '';
  let platformDigest = '';
  const ok = (cmd: string) => rig.ok(cmd);
  /** What the Images view is given: the contract's store.inventory, checked by its schema. */
  const inventory = async (): Promise<StoreInventory> => {
    const r = await env.cli(['api', 'call', 'store.inventory']);
    assert.equal(r.code, 0, r.stderr);
    return StoreInventorySchema.parse(JSON.parse(r.stdout));
  };
  const imageOf = (inv: StoreInventory, ref: string) =>
    inv.images.find((i) => i.repoTags.some((t) => t === ref || t === `docker.io/${ref}`));
  const row = (ref: string) => page.locator('.vrow.image').filter({ hasText: ref });
  const attestationRow = () => page.locator('.vrow.variant').filter({ hasText: /^attestations of linux\/amd64/ });
  const expand = (ref: string) =>
    row(ref)
      .getByRole('button', { name: new RegExp(`^Show the variants of ${ref}`) })
      .click();

  before(async () => {
    await rig.setUp(10 * MIN);
    pushed = `${rig.guestRegistry}/${APP}`;
    const dash = await env.cli(['dashboard']);
    const url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(dash.stdout)?.[1];
    assert.ok(url, `no URL in: ${dash.stdout}${dash.stderr}`);
    browser = await launchChromium();
    page = await browser.context.newPage();
    shot = screenshotter(page, OUT);
    await page.goto(`${url}#/images`);
  });
  after(async () => {
    await browser?.close();
    await rig.tearDown([APP, pushed]);
    await env.dispose();
  });

  it('keeps the SBOM and provenance in the index; the view lists them under the image, beside its platform', async () => {
    const out = await ok(attestedBuild(rig.generator, APP, writeAppContext(path.join(rig.tmp, 'app'), 'e2e')));
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
    assert.equal(atts[0]?.attestation?.subject, 'linux/amd64', 'the attestation manifest names its platform');
    const types = atts[0]?.attestation?.predicateTypes ?? [];
    assert.ok(types.includes(SPDX), `an SPDX SBOM: ${types.join(', ')}`);
    assert.ok(
      types.some((t) => SLSA.test(t)),
      `SLSA provenance: ${types.join(', ')}`,
    );

    await row(APP)
      .getByText('1 platform, 1 attestation (SBOM, provenance)')
      .waitFor({ timeout: 2 * MIN });
    await expand(APP);
    await page
      .locator('.vrow.variant')
      .filter({ hasText: /^linux\/amd64/ })
      .getByText('Present')
      .waitFor();
    const statements = attestationRow().getByTestId('attestation-statements');
    await statements.getByText('SBOM (SPDX)', { exact: true }).waitFor();
    await statements.getByText(/^provenance \(SLSA v[\d.]+\)$/).waitFor();
    await shot('attestations-built');
  });

  it('pushed and pulled back: the same index, the statements in the registry, the manifest listed as left there', async () => {
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
    await row('attested:1')
      .first()
      .waitFor({ state: 'detached', timeout: 2 * MIN });

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
    await row(pushed)
      .getByText('1 platform, 1 attestation')
      .waitFor({ timeout: 2 * MIN });
    await expand(pushed);
    await attestationRow()
      .getByTestId('attestation-statements')
      .getByText('kept in the registry', { exact: true })
      .waitFor();
    await shot('attestations-pulled');

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

  it("on the classic store the build gets Docker's own refusal, and the view says the containerd store keeps attestations", async () => {
    const use = await env.cli(['store', 'use', 'classic']);
    assert.equal(use.code, 0, use.stderr);
    try {
      const r = await rig.host(attestedBuild(rig.generator, APP, path.join(rig.tmp, 'app')));
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stdout, /Attestation is not supported for the docker driver/);
      assert.match(r.stdout, /turn on the containerd image store/);
      const inv = await inventory();
      assert.equal(inv.store, 'classic');
      assert.equal(imageOf(inv, APP), undefined);
      await page
        .getByTestId('attestations-classic')
        .getByText(/The containerd image store keeps them/)
        .waitFor({ timeout: 2 * MIN });
      await shot('attestations-classic');
    } finally {
      const back = await env.cli(['store', 'use', 'containerd']);
      assert.equal(back.code, 0, back.stderr);
    }
  });
});
