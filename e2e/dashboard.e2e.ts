// The seeds' story through the dashboard, in Debian's Chromium, against the headless host and
// the real VM: clean install (containerd ON, no images) → pull from a loopback registry with
// visible progress → untick the box, Apply & Restart → classic store, empty, banner names the
// hidden image → add an image there → tick again → the first image is back → factory reset →
// both stores empty, containerd ON. On the way: the reclaim dialog (cancelled), the Disk view
// against `berth df --json`, a volume in use, and a route opened directly.
// A screenshot of every view lands in test-results/dashboard/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { DiskUsageSchema } from '../electron/node-host/api/disk-types.ts';
import { AgentClient } from '../engine/host/agent-client.ts';
import { BerthEnv } from '../test/helpers/berth-env.ts';
import { startRegistry, type Registry } from '../test/helpers/registry.ts';
import { launchChromium } from './browser.ts';
import { diskDifferences, shownDisk } from './disk-readout.ts';
import { screenshotter, seedRegistry } from './story.ts';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-results/dashboard');
const MIN = 60_000;

describe('dashboard e2e (real VM, Chromium)', { timeout: 40 * MIN }, () => {
  // The shared engine when there is one: the story ends in a factory reset, which is the state
  // (default settings, both stores empty) it starts from.
  const env = new BerthEnv({ shared: true });
  let registry: Registry;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let shot: (name: string) => Promise<string>;
  let url = '';
  const progress: number[] = [];
  const nav = (name: string) => page.getByRole('navigation').getByRole('button', { name, exact: true });
  const images = () => page.locator('.vrow.image');
  /** Apply & Restart finished (nothing left to apply) and the header names `store` as active. */
  const applied = async (store: 'classic' | 'containerd'): Promise<void> => {
    await page
      .getByTestId('apply-bar')
      .getByText('No changes.')
      .waitFor({ timeout: 10 * MIN });
    await page
      .getByTestId('active-store')
      .filter({ hasText: store })
      .waitFor({ timeout: 2 * MIN });
  };
  /** A failed step must not leave a modal over the page for the next one. */
  const closeDialogs = async () => {
    for (let i = 0; i < 3 && (await page.locator('dialog[open]').count()) > 0; i++) await page.keyboard.press('Escape');
  };

  before(async () => {
    registry = await startRegistry();
    // The registry is plain HTTP on the host's loopback: allowed by the user's daemon.json key.
    const set = await env.cli([
      'settings',
      'set',
      `dockerEngine=${JSON.stringify({ 'insecure-registries': [registry.guestAddress] })}`,
    ]);
    assert.equal(set.code, 0, set.stderr);
    const start = await env.start(10 * MIN);
    assert.equal(start.code, 0, `berth start failed:\n${start.stdout}\n${start.stderr}`);
    const dash = await env.cli(['dashboard']);
    assert.equal(dash.code, 0, dash.stderr);
    url = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(dash.stdout)?.[1] ?? '';
    assert.ok(url, `no URL in: ${dash.stdout}`);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        const m = JSON.parse(String(f.payload)) as { name?: string; data?: { percent?: number | null } };
        if (m.name === 'images.progress' && typeof m.data?.percent === 'number') progress.push(m.data.percent);
      }),
    );
    shot = screenshotter(page, OUT);
  });
  after(async () => {
    await browser?.close();
    registry?.stop();
    await env.dispose();
  });

  it('refuses the dashboard without its token', async () => {
    const r = await fetch(url.replace(/\?token=.*/, ''));
    assert.equal(r.status, 401);
  });

  it('clean install: engine running, containerd store ON, no images', async () => {
    await page.goto(url);
    await page.getByTestId('engine-state').filter({ hasText: 'Running' }).waitFor();
    await page.getByTestId('active-store').filter({ hasText: 'containerd' }).waitFor();
    // The engine's versions as the host's status reads them from dockerd (28.x with containerd 2.x).
    const v = (await env.status()).versions!;
    assert.match(v.containerd ?? '', /^v?2\./, JSON.stringify(v));
    await page
      .getByTestId('engine-versions')
      .filter({ hasText: `Docker Engine ${v.docker} · containerd ${v.containerd}` })
      .waitFor();
    await page.getByTestId('containers-empty').waitFor();
    await shot('containers-empty');
    await nav('Images').click();
    await page.getByTestId('images-empty').waitFor();
    await shot('images-empty');
    await nav('Settings').click();
    assert.equal(
      await page.getByRole('checkbox', { name: 'Use containerd for pulling and storing images' }).isChecked(),
      true,
    );
    assert.equal(await page.getByRole('button', { name: 'Apply & Restart' }).isDisabled(), true, 'nothing changed yet');
    await shot('settings-general');
    assert.equal(await page.getByTestId('hidden-store-banner').count(), 0, 'nothing is hidden on a clean install');
  });

  it('pulls an image from the loopback registry with visible progress', async () => {
    const ref = `${registry.guestAddress}/e2e/big:1`;
    await seedRegistry(env.docker(), ref, 'first');
    await nav('Images').click();
    await page.getByRole('button', { name: 'Pull…' }).click();
    await page.getByLabel('Image reference').fill(ref);
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    await page
      .locator('[data-testid="pull-progress"] [role="progressbar"][aria-valuenow]')
      .waitFor({ timeout: 5 * MIN });
    await shot('pull-progress');
    await page.getByText(`Pulled ${ref}`).waitFor({ timeout: 10 * MIN });
    assert.ok(
      progress.some((p) => p > 0 && p < 100),
      `progress between 0 and 100 was shown (saw ${progress.slice(0, 20).join(', ')})`,
    );
    await page.getByRole('button', { name: 'Close' }).click();
    await images().filter({ hasText: ref }).waitFor();
    await shot('images-pulled');
  });

  it('runs the image and shows the container with its live logs', async () => {
    const ref = `${registry.guestAddress}/e2e/big:1`;
    await page.getByRole('button', { name: `Run ${ref}` }).click();
    await page.getByLabel('Container name (optional)').fill('e2e-first');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    // Create and start take a while on an emulated VM sharing 2 cores.
    await page.getByTestId('container-e2e-first').waitFor({ timeout: 3 * MIN });
    await page.getByTestId('container-e2e-first').getByRole('button', { name: 'Logs' }).click();
    await page
      .getByTestId('logs-panel')
      .getByText(/BusyBox v/)
      .waitFor({ timeout: 2 * MIN });
    await shot('containers-logs');
    await nav('Images').click();
    await images().filter({ hasText: ref }).getByText('In use').waitFor();
  });

  it('shows the Docker Engine, Resources and Troubleshoot views', async () => {
    await nav('Settings').click();
    await page.getByRole('tab', { name: 'Docker Engine' }).click();
    assert.match(
      await page.locator('#daemon-json').inputValue(),
      new RegExp(registry.guestAddress.replace(/\./g, '\\.')),
    );
    await page.locator('#daemon-json').fill('{"debug": "yes"}');
    await page.getByText('debug: Invalid input').waitFor();
    assert.equal(
      await page.getByRole('button', { name: 'Apply & Restart' }).isDisabled(),
      true,
      'invalid daemon.json cannot be applied',
    );
    await shot('settings-engine-invalid');
    await page.getByRole('button', { name: 'Discard' }).click();
    await page.getByRole('tab', { name: 'Resources' }).click();
    await shot('settings-resources');
    await nav('Troubleshoot').click();
    await page.getByRole('button', { name: 'Reset to factory defaults' }).click();
    await page
      .getByTestId('deletes')
      .getByText(/data\.qcow2/)
      .waitFor();
    await shot('troubleshoot-confirm');
    await page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('untick → Apply & Restart: the classic store is active, empty, and the banner names what is hidden', async () => {
    await nav('Settings').click();
    await page.getByRole('tab', { name: 'General' }).click();
    await page.getByRole('checkbox', { name: 'Use containerd for pulling and storing images' }).uncheck();
    await page.getByText(/Applying restarts the Docker Engine/).waitFor();
    await shot('settings-changed');
    await page.getByRole('button', { name: 'Apply & Restart' }).click();
    await page.getByTestId('apply-bar').getByRole('button', { name: 'Applying…' }).waitFor();
    await shot('settings-applying');
    await applied('classic');
    await nav('Images').click();
    await page.getByTestId('images-empty').waitFor({ timeout: 2 * MIN });
    const banner = page.getByTestId('hidden-store-banner');
    await banner
      .getByText(
        /^1 images \([\d.]+ MB\) and 1 containers from the containerd image store are hidden while the classic image store is active$/,
      )
      .waitFor({ timeout: 2 * MIN });
    await shot('classic-empty-banner');
  });

  it('adds an image to the classic store', async () => {
    const ref = `${registry.guestAddress}/e2e/big:1`;
    await page.getByRole('button', { name: 'Pull…' }).click();
    await page.getByLabel('Image reference').fill(ref);
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    await page.getByText(`Pulled ${ref}`).waitFor({ timeout: 10 * MIN });
    await page.getByRole('button', { name: 'Close' }).click();
    await images().filter({ hasText: ref }).waitFor();
    await shot('classic-pulled');
  });

  it('tick again → the first image and its container are back; the classic image is hidden', async () => {
    await nav('Settings').click();
    await page.getByRole('checkbox', { name: 'Use containerd for pulling and storing images' }).check();
    await page.getByRole('button', { name: 'Apply & Restart' }).click();
    await applied('containerd');
    await nav('Images').click();
    await images()
      .filter({ hasText: 'e2e/big:1' })
      .getByText('In use')
      .waitFor({ timeout: 2 * MIN });
    await page
      .getByTestId('hidden-store-banner')
      .getByText(
        /^1 images \([\d.]+ MB\) and 0 containers from the classic image store are hidden while the containerd image store is active$/,
      )
      .waitFor({ timeout: 2 * MIN });
    await shot('containerd-back');
    await nav('Containers').click();
    await page.getByTestId('container-e2e-first').waitFor();
  });

  it("the reclaim dialog lists the hidden store's images; Cancel deletes nothing", async () => {
    const ref = `${registry.guestAddress}/e2e/big:1`;
    const banner = page.getByTestId('hidden-store-banner');
    await banner.getByRole('button', { name: 'Reclaim space…' }).click();
    const dialog = page.getByRole('dialog', { name: "Reclaim the classic image store's space?" });
    try {
      await dialog.getByTestId('reclaim-images').getByText(ref).waitFor({ timeout: MIN });
      await shot('reclaim-dialog');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
    } finally {
      await closeDialogs();
    }
    await banner.getByText(/^1 images .* from the classic image store are hidden/).waitFor();
  });

  it('the Disk view shows what `berth df --json` says', async () => {
    await nav('Disk').click();
    await page.getByTestId('disk-store-classic').waitFor({ timeout: 2 * MIN });
    let diffs: string[] = [];
    // The data disk's use moves a little on its own: measure both sides again if they differ.
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByRole('button', { name: 'Refresh', disabled: false }).waitFor({ timeout: 2 * MIN });
      const shown = await shownDisk(page);
      const df = await env.cli(['df', '--json']);
      assert.equal(df.code, 0, df.stderr);
      const cli = DiskUsageSchema.parse(JSON.parse(df.stdout));
      diffs = diskDifferences(shown, cli);
      assert.deepEqual(
        cli.stores.map((x) => [x.store, x.active, x.images > 0]),
        [
          ['containerd', true, true],
          ['classic', false, true],
        ],
        "each store holds the story's image",
      );
      if (diffs.length === 0) break;
    }
    assert.deepEqual(diffs, [], 'the page and the CLI agree');
    await shot('disk');
  });

  it('a volume used by a container cannot be removed; once unused it can', async () => {
    const ref = `${registry.guestAddress}/e2e/big:1`;
    await nav('Volumes').click();
    await page.getByRole('button', { name: 'Create…' }).click();
    await page.getByLabel('Volume name (optional)').fill('e2e-vol');
    await page.getByRole('dialog').getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByText('Created volume e2e-vol').waitFor({ timeout: MIN });
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    const row = page.getByTestId('volume-e2e-vol');
    const docker = env.docker();
    try {
      await row.getByText('Unused').waitFor();
      const c = await docker.createContainer({
        name: 'e2e-vol-user',
        Image: ref,
        Cmd: ['sleep', '600'],
        HostConfig: { Binds: ['e2e-vol:/data'] },
      });
      try {
        await c.start();
        await row.getByText('e2e-vol-user (containerd store, running)', { exact: true }).waitFor({ timeout: MIN });
        assert.equal(
          await row.getByRole('button', { name: 'Remove volume e2e-vol' }).isDisabled(),
          true,
          'Remove is refused while in use',
        );
        await row.getByText('In use by container e2e-vol-user (containerd store, running): remove it first.').waitFor();
        await shot('volume-in-use');
      } finally {
        await c.remove({ force: true });
      }
      // Clicking waits for the button to be enabled: the list follows the container's removal.
      await row.getByRole('button', { name: 'Remove volume e2e-vol' }).click({ timeout: MIN });
      await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
      await row.waitFor({ state: 'detached', timeout: MIN });
    } finally {
      // Whatever failed, the engine is left as the story had it.
      await closeDialogs();
      await docker
        .getVolume('e2e-vol')
        .remove()
        .catch(() => undefined);
    }
  });

  it('opening …#/settings directly shows the settings view; Back returns to the previous route', async () => {
    await nav('Volumes').click();
    assert.match(page.url(), /#\/volumes$/);
    await page.goto(`${url}#/settings`);
    await page.getByRole('checkbox', { name: 'Use containerd for pulling and storing images' }).waitFor();
    assert.equal(await nav('Settings').getAttribute('aria-current'), 'page');
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Volumes' }).waitFor();
    assert.match(page.url(), /#\/volumes$/);
  });

  it('factory reset from the classic store: both stores empty, containerd ON, daemon.json back to defaults', async () => {
    // As a user who switched would: the reset turns the containerd store back on.
    const classic = await env.cli(['store', 'use', 'classic']);
    assert.equal(classic.code, 0, classic.stderr);
    await nav('Troubleshoot').click();
    await page.getByRole('button', { name: 'Reset to factory defaults' }).click();
    await page.getByTestId('deletes').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset to factory defaults' }).click();
    await page.getByText('Factory defaults restored.').waitFor({ timeout: 15 * MIN });
    await shot('factory-reset-done');
    await page.getByTestId('engine-state').filter({ hasText: 'Running' }).waitFor();
    await page.getByTestId('active-store').filter({ hasText: 'containerd' }).waitFor();
    await nav('Images').click();
    await page.getByTestId('images-empty').waitFor({ timeout: 2 * MIN });
    // The classic store is empty too: no banner once the store summary of the fresh disk arrives.
    await page.getByTestId('active-store').waitFor();
    await page.getByTestId('hidden-store-banner').waitFor({ state: 'detached', timeout: 2 * MIN });
    await nav('Settings').click();
    assert.equal(
      await page.getByRole('checkbox', { name: 'Use containerd for pulling and storing images' }).isChecked(),
      true,
    );
    await shot('after-reset-settings');
    // What dockerd itself holds, beyond what the view shows.
    const agent = new AgentClient(env.data.agentSocket);
    try {
      const inv = await agent.inventory();
      assert.equal(inv.active.store, 'IMAGE_STORE_CONTAINERD');
      assert.equal(inv.active.images.length + inv.hidden.images.length, 0);
      assert.equal(inv.active.containers.length + inv.hidden.containers.length, 0);
      assert.doesNotMatch((await agent.status()).daemon_json, /insecure-registries/);
    } finally {
      agent.close();
    }
  });

  it('a crashed Berth host: the next one adopts the running engine, and its dashboard says so', async () => {
    const hostPid = Number(fs.readFileSync(path.join(env.data.runDir, 'host.pid'), 'utf8'));
    const vmPid = (await env.status()).vmPid;
    process.kill(hostPid, 'SIGKILL');
    await page.getByText('Reconnecting to the Berth host…').waitFor();
    const dash = await env.cli(['dashboard']);
    assert.equal(dash.code, 0, dash.stderr);
    assert.match(dash.stderr, /adopted a running engine/);
    const next = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(dash.stdout)?.[1] ?? '';
    await page.goto(next);
    await page
      .getByTestId('engine-adopted')
      .filter({ hasText: `adopted a running engine (pid ${vmPid})` })
      .waitFor();
    await page.getByTestId('engine-state').filter({ hasText: 'Running' }).waitFor();
    await shot('adopted');
  });
});
