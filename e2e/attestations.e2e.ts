// The Images view's attestations in Debian's Chromium, against the headless host and the real VM:
// an image built with an SBOM (a local generator, Docker Hub being out of reach) and max provenance
// expands into its platform and its attestation manifest, named by what it states; pulled back from
// the registry, the manifest is listed as left there; the classic store says the containerd store
// keeps attestations. The CLI and contract side of the same story: test/engine/attestations.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { BerthEnv } from '../test/helpers/berth-env.ts';
import { AttestationRig, attestedBuild, writeAppContext } from '../test/helpers/sbom-generator.ts';
import { launchChromium } from './browser.ts';
import { screenshotter } from './story.ts';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results/attestations');
const MIN = 60_000;
const APP = 'e2e/attested:1';

describe('attestations in the dashboard (real VM, Chromium)', { timeout: 30 * MIN }, () => {
  const env = new BerthEnv({ shared: true });
  const rig = new AttestationRig(env, 'e2e');
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let shot: (name: string) => Promise<string>;
  let pushed = '';
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

  it('lists the SBOM and provenance under the image, beside its platform', async () => {
    await rig.ok(attestedBuild(rig.generator, APP, writeAppContext(path.join(rig.tmp, 'app'), 'e2e')));
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

  it('pulled back from the registry, the attestation manifest is listed as left in the registry', async () => {
    await rig.ok(
      `docker tag ${APP} ${pushed} && docker push ${pushed} && docker rmi ${APP} ${pushed} ${rig.generator}`,
    );
    await row('attested:1')
      .first()
      .waitFor({ state: 'detached', timeout: 2 * MIN });
    await rig.ok(`docker pull ${pushed}`);
    await row(pushed)
      .getByText('1 platform, 1 attestation')
      .waitFor({ timeout: 2 * MIN });
    await expand(pushed);
    await attestationRow()
      .getByTestId('attestation-statements')
      .getByText('kept in the registry', { exact: true })
      .waitFor();
    await shot('attestations-pulled');
  });

  it('on the classic store, says that the containerd store keeps attestations', async () => {
    const use = await env.cli(['store', 'use', 'classic']);
    assert.equal(use.code, 0, use.stderr);
    try {
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
