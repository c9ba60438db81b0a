// Real VM: upgrades lose nothing. A data disk is written by Berth 0.1's VM image (releases/engine26:
// dockerd 26, containerd 1.7) with an image and a --restart=always container in each store and a
// daemon.json key of the user's; the current image (dockerd 28, containerd 2.1) then boots it: both
// stores intact (same image IDs), the containers running, the key kept, the settings file
// unchanged. Then the settings side: an old partial settings file (no schemaVersion, no store key)
// comes up on the classic store the disk holds, and a grown vm.diskGiB grows the filesystem. Last,
// a disk stamped by a newer engine generation is refused with a clear error and not written to.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { BerthEnv } from '../helpers/berth-env.ts';
import { buildScratch } from '../helpers/docker-ops.ts';
import { hostCommand } from '../helpers/endpoint-tools.ts';
import { imageComplete, releaseImageDir } from '../../engine/image/locate.ts';
import { saveSettings } from '../../electron/node-host/settings/settings-file.ts';
import { defaultSettings } from '../../electron/node-host/settings/schema.ts';

const MIN = 60_000;
const RELEASE = 'engine26';
const USER_KEYS = { 'log-level': 'warn' };
const PARTIAL = { vm: { cpus: 2, memoryMiB: 2048 }, dockerEngine: USER_KEYS };

describe('upgrade: a data disk from the previous engine, then an old settings file', { timeout: 60 * MIN }, () => {
  const env = new BerthEnv();
  const cli = async (args: string[]): Promise<string> => {
    const r = await env.cli(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const ids: Record<'containerd' | 'classic', string> = { containerd: '', classic: '' };
  let settingsBytes = '';
  const restartAlways = async (name: string, image: string): Promise<void> => {
    const c = await env.docker().createContainer({
      name,
      Image: image,
      Cmd: ['sleep', '100000'],
      HostConfig: { RestartPolicy: { Name: 'always' } },
    });
    await c.start();
  };

  before(async () => {
    // scripts/test.sh builds it beside the shared engine; alone, this file builds it (cached).
    const oldImage = releaseImageDir(RELEASE);
    if (!imageComplete(oldImage)) {
      const b = spawnSync(process.execPath, ['bin/run-ts.js', 'engine/image/build.ts', '--release', RELEASE], {
        stdio: 'inherit',
      });
      assert.equal(b.status, 0, 'the released image builds');
    }
    env.env.BERTH_NO_DOCKER_CONTEXT = '1';
    env.env.BERTH_ADMIN_SETTINGS = `${env.root}/no-admin-settings.json`;
    env.env.BERTH_IMAGE_DIR = oldImage;
    saveSettings(env.data.settingsFile, { ...defaultSettings(), dockerEngine: USER_KEYS });
    await cli(['start']);
    assert.match(
      await cli(['shell', "docker version --format '{{.Server.Version}}'"]),
      /^26\./m,
      'the disk is written by the previous engine',
    );
    ids.containerd = await buildScratch(env.docker(), 'berth-upgrade:ctr');
    await restartAlways('up-containerd', 'berth-upgrade:ctr');
    await cli(['store', 'use', 'classic']);
    ids.classic = await buildScratch(env.docker(), 'berth-upgrade:v1');
    await restartAlways('up-classic', 'berth-upgrade:v1');
    await cli(['stop']);
    settingsBytes = fs.readFileSync(env.data.settingsFile, 'utf8');
    delete env.env.BERTH_IMAGE_DIR; // from here on: the current image
  });
  after(() => env.dispose());

  const running = async (name: string): Promise<boolean> =>
    (await env.docker().getContainer(name).inspect()).State.Running;

  it('the current engine boots the disk: both stores intact, containers running, user keys and settings kept', async () => {
    await cli(['start']);
    const host = hostCommand({ ...env.env, DOCKER_HOST: `unix://${env.data.dockerSocket}` });
    const v = await host(
      "docker version --format '{{.Server.APIVersion}} {{range .Server.Components}}{{.Name}}={{.Version}} {{end}}'",
    );
    assert.equal(v.code, 0, v.stderr);
    const [api, ...components] = v.stdout.trim().split(' ');
    assert.ok(Number(api) >= 1.47, `server API ${api}`);
    assert.match(components.join(' '), /containerd=v?2\./, v.stdout);
    assert.equal(fs.readFileSync(env.data.settingsFile, 'utf8'), settingsBytes, 'the settings file is unchanged');
    assert.deepEqual(
      JSON.parse(await cli(['shell', 'cat /etc/docker/daemon.json']))['log-level'],
      'warn',
      "the user's daemon.json key is kept",
    );
    assert.equal(
      (await cli(['shell', 'cat /mnt/data/berth-format'])).trim(),
      '2',
      'the disk carries the new format stamp',
    );
    assert.equal(
      (
        await cli([
          'shell',
          'test -e /run/berth-early/disk && echo early || systemctl show -p ActiveState --value berth-init.service',
        ])
      ).trim(),
      'active',
      "a disk to upgrade is left to berth-init.service, not the initramfs's early set-up",
    );

    assert.match(await cli(['store']), /^active: classic image store/m);
    assert.equal(
      (await env.docker().getImage('berth-upgrade:v1').inspect()).Id,
      ids.classic,
      'classic: same image ID (its config digest)',
    );
    assert.ok(await running('up-classic'), "the classic store's --restart=always container runs");
    await cli(['store', 'use', 'containerd']);
    // On the containerd store the ID is the manifest's digest, which covers the config's digest.
    assert.equal(
      (await env.docker().getImage('berth-upgrade:ctr').inspect()).Id,
      ids.containerd,
      'containerd: same image ID',
    );
    assert.ok(await running('up-containerd'), "the containerd store's --restart=always container runs");
    const tree = await host('docker image ls --tree berth-upgrade');
    assert.equal(tree.code, 0, `docker image ls --tree needs API 1.47: ${tree.stderr}`);
    assert.match(tree.stdout, /berth-upgrade:ctr/);
    await cli(['stop']);
  });

  it('comes up on the classic store with the image visible, the partial file read key by key', async () => {
    fs.writeFileSync(env.data.settingsFile, JSON.stringify(PARTIAL));
    const start = await cli(['start']);
    assert.match(start, /store: classic image store/);
    assert.match(await cli(['store']), /^active: classic image store \(1 images/m);
    const images = await env.docker().listImages();
    assert.ok(
      images.some((i) => i.RepoTags?.includes('berth-upgrade:v1')),
      JSON.stringify(images.map((i) => i.RepoTags)),
    );
    const file = JSON.parse(fs.readFileSync(env.data.settingsFile, 'utf8'));
    assert.equal(file.useContainerdSnapshotter, false, 'the decision is recorded');
    assert.deepEqual(file.dockerEngine, USER_KEYS, "the user's daemon.json key is kept");
    assert.equal(file.vm.diskGiB, 64, 'a missing key takes its default');
    const get = await env.cli(['settings', 'get']);
    assert.match(
      get.stderr,
      /notice: Berth chose the classic overlay2 store: the settings file does not say which image store to use, and the classic image store on the data disk holds 1 images/,
    );
    assert.match(fs.readFileSync(env.data.hostLog, 'utf8'), /settings: Berth chose the classic overlay2 store/);
  });

  it('a grown vm.diskGiB grows the data disk and its filesystem at the restart', async () => {
    const sizeGiB = async (): Promise<number> =>
      Number((await cli(['shell', 'df -BG --output=size /mnt/data | tail -1 | tr -dc 0-9'])).trim());
    const before = await sizeGiB();
    assert.ok(before <= 64, `${before} GiB`);
    await cli(['settings', 'set', 'vm.diskGiB=80']);
    const after = await sizeGiB();
    assert.ok(after >= 77, `the filesystem grew from ${before} to ${after} GiB`);
    // A disk of this generation is set up before systemd starts (the initramfs), the resize with it.
    assert.equal(
      (
        await cli([
          'shell',
          'test -e /run/berth-early/disk && systemctl show -p ConditionResult --value berth-init.service',
        ])
      ).trim(),
      'no',
      'the early set-up did the work and berth-init.service was skipped',
    );
    assert.match(
      await cli(['store']),
      /^active: classic image store \(1 images/m,
      'the restart kept the decided store',
    );
  });

  it('a disk written by a newer engine generation is refused with a clear error, and not written to', async () => {
    await cli(['shell', 'echo 3 > /mnt/data/berth-format && sync']);
    await cli(['stop']);
    const digest = (): string => crypto.createHash('sha256').update(fs.readFileSync(env.data.dataDisk)).digest('hex');
    const before = digest();
    const r = await env.cli(['start']);
    assert.notEqual(r.code, 0, 'the start fails');
    assert.match(
      `${r.stdout}\n${r.stderr}`,
      /the data disk was written by a newer Berth engine \(disk format 3; this VM image reads up to 2\): nothing was changed/,
    );
    await env.cli(['stop'], 120_000);
    assert.equal(digest(), before, 'the data disk file is byte for byte what it was');
  });
});
