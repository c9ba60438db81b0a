// Real VM: an upgrade never flips the image store. A data disk whose classic store holds an image,
// then an old partial settings file (no schemaVersion, no store key, as earlier versions and hand
// edits write): `berth start` comes up on the classic store with the image visible, the user's
// daemon.json key kept and the decision reported. Then a grown vm.diskGiB grows the filesystem.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BerthEnv } from '../helpers/berth-env.ts';

const MIN = 60_000;
const PARTIAL = { vm: { cpus: 2, memoryMiB: 2048 }, dockerEngine: { 'log-level': 'warn' } };

describe('settings upgrade on a data disk with a classic store', { timeout: 40 * MIN }, () => {
  const env = new BerthEnv();
  const cli = async (args: string[]): Promise<string> => {
    const r = await env.cli(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    env.env.BERTH_NO_DOCKER_CONTEXT = '1';
    env.env.BERTH_ADMIN_SETTINGS = `${env.root}/no-admin-settings.json`;
    await cli(['start']);
    await cli(['store', 'use', 'classic']);
    // An image made in the VM (no registry needed); the joined command runs as one shell line.
    await cli(['shell', 'tar -C /etc -cf - hostname | docker import - berth-upgrade:v1 >/dev/null && docker image ls -q berth-upgrade:v1']);
    await cli(['stop']);
  });
  after(() => env.dispose());

  it('comes up on the classic store with the image visible, the partial file read key by key', async () => {
    fs.writeFileSync(env.data.settingsFile, JSON.stringify(PARTIAL));
    const start = await cli(['start']);
    assert.match(start, /store: classic image store/);
    assert.match(await cli(['store']), /^active: classic image store \(1 images/m);
    const images = await env.docker().listImages();
    assert.ok(images.some((i) => i.RepoTags?.includes('berth-upgrade:v1')), JSON.stringify(images.map((i) => i.RepoTags)));
    const file = JSON.parse(fs.readFileSync(env.data.settingsFile, 'utf8'));
    assert.equal(file.useContainerdSnapshotter, false, 'the decision is recorded');
    assert.deepEqual(file.dockerEngine, { 'log-level': 'warn' }, 'the user\'s daemon.json key is kept');
    assert.equal(file.vm.diskGiB, 64, 'a missing key takes its default');
    const get = await env.cli(['settings', 'get']);
    assert.match(get.stderr, /notice: Berth chose the classic overlay2 store: the settings file does not say which image store to use, and the classic image store on the data disk holds 1 images/);
    assert.match(fs.readFileSync(env.data.hostLog, 'utf8'), /settings: Berth chose the classic overlay2 store/);
  });

  it('a grown vm.diskGiB grows the data disk and its filesystem at the restart', async () => {
    const sizeGiB = async (): Promise<number> => Number((await cli(['shell', "df -BG --output=size /mnt/data | tail -1 | tr -dc 0-9"])).trim());
    const before = await sizeGiB();
    assert.ok(before <= 64, `${before} GiB`);
    await cli(['settings', 'set', 'vm.diskGiB=80']);
    const after = await sizeGiB();
    assert.ok(after >= 77, `the filesystem grew from ${before} to ${after} GiB`);
    assert.match(await cli(['store']), /^active: classic image store \(1 images/m, 'the restart kept the decided store');
  });
});
