// Reclaiming the hidden image store against the real VM (shared engine): a 64 MiB image and two
// containers (one with a named volume) on the classic store, hidden by the switch to containerd;
// `berth df --json` counts them; the active store and the volume a hidden container uses are
// refused; `berth store reclaim classic --yes` empties the classic store, leaves the containerd
// store alone, and the host's disk file gives the space back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { BerthEnv } from '../helpers/berth-env.ts';
import { buildScratch } from '../helpers/docker-ops.ts';
import { DiskUsageSchema, type DiskUsage } from '../../electron/node-host/api/disk-types.ts';

const MiB = 1024 * 1024;
const BIG = 'berth-rc/big:1';
const KEEP = 'berth-rc/keep:1';
const VOLUME = 'berth-rc-vol';
const CONTAINERS = ['berth-rc-app', 'berth-rc-vol-user'];

/** FROM scratch with 64 MiB of random bytes: nothing compresses or deduplicates it away. */
function bigContext(): NodeJS.ReadableStream {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, 'FROM scratch\nCOPY blob /blob\n');
  pack.entry({ name: 'blob' }, crypto.randomBytes(64 * MiB));
  pack.finalize();
  return Readable.from(pack);
}

describe('reclaiming the hidden image store (real VM)', { timeout: 15 * 60_000 }, () => {
  const env = new BerthEnv({ shared: true });
  const t0 = Date.now();
  const log = (what: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${what}`);

  const cli = async (args: string[], expect = 0): Promise<string> => {
    const r = await env.cli(args);
    assert.equal(r.code, expect, `berth ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
    log(`berth ${args.join(' ')}`);
    return r.code === 0 ? r.stdout : r.stderr;
  };
  const use = (store: 'containerd' | 'classic'): Promise<string> => cli(['store', 'use', store]);
  const df = async (): Promise<DiskUsage> => DiskUsageSchema.parse(JSON.parse(await cli(['df', '--json'])));
  const allocated = (): number => fs.statSync(env.data.dataDisk).blocks * 512;
  const tags = async (): Promise<string[]> => (await env.docker().listImages()).flatMap((i) => i.RepoTags ?? []).sort();

  before(async () => {
    const r = await env.start();
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    // After a failure midway: whatever this file made, on whichever store is active, then the other.
    const clean = async (): Promise<void> => {
      const docker = env.docker();
      for (const c of CONTAINERS)
        await docker
          .getContainer(c)
          .remove({ force: true })
          .catch(() => undefined);
      for (const i of [BIG, KEEP])
        await docker
          .getImage(i)
          .remove({ force: true })
          .catch(() => undefined);
    };
    await clean();
    const store = JSON.parse((await env.cli(['store', '--json'])).stdout || '{}') as { active?: string };
    if (store.active !== 'containerd') {
      await env.cli(['store', 'use', 'containerd']);
      await clean();
    }
    await env
      .docker()
      .getVolume(VOLUME)
      .remove()
      .catch(() => undefined);
    await env.dispose();
  });

  it('fills the classic store, refuses the active store and a volume a hidden container uses, and reclaims the classic store', async () => {
    await use('classic');
    const docker = env.docker();
    const stream = await docker.buildImage(bigContext(), { t: BIG });
    const out = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) =>
        err ? reject(err) : resolve(res),
      );
    });
    assert.equal(out.find((m) => m.error)?.error, undefined, 'the 64 MiB build');
    log('built the 64 MiB image on classic');
    await docker.createContainer({ name: CONTAINERS[0], Image: BIG, Cmd: ['/blob'] });
    await docker.createContainer({
      name: CONTAINERS[1],
      Image: BIG,
      Cmd: ['/blob'],
      HostConfig: { Binds: [`${VOLUME}:/data`] },
    });

    const onClassic = await df();
    const classic = onClassic.stores.find((s) => s.store === 'classic');
    assert.equal(classic?.active, true, 'classic is the active store');
    assert.ok(classic.imagesBytes >= 64 * MiB, `classic imagesBytes ${classic.imagesBytes} < 64 MiB`);
    assert.equal(classic.containers, 2);
    assert.ok(onClassic.volumes.count >= 1);

    await use('containerd');
    await buildScratch(docker, KEEP, 'store-reclaim');
    const containerdTags = await tags();
    assert.ok(containerdTags.includes(KEEP), containerdTags.join(','));

    // The active store is refused, by the host, with its reason.
    const refused = await cli(['store', 'reclaim', 'containerd', '--yes'], 1);
    assert.match(refused, /^berth: the containerd image store is active/m);

    // dockerd on containerd does not see the hidden container; the contract's volumes.remove does.
    const inUse = await cli(['api', 'call', 'volumes.remove', JSON.stringify({ name: VOLUME })], 1);
    assert.match(inUse, new RegExp(`volume ${VOLUME} is in use by container ${CONTAINERS[1]} \\(classic store`));

    // Without --yes and without a terminal nothing is deleted.
    const unconfirmed = await env.cli(['store', 'reclaim', 'classic']);
    assert.equal(unconfirmed.code, 1, unconfirmed.stdout + unconfirmed.stderr);
    assert.match(unconfirmed.stdout, new RegExp(`${BIG.replace(/[/.]/g, '\\$&')}\\s+64\\.\\d MiB`));
    assert.match(unconfirmed.stderr, /pass --yes/);

    // Written data in the guest's page cache takes no room in the disk file yet: sync first.
    await cli(['shell', 'sync']);
    const before = await df();
    const fileBefore = allocated();
    const reclaimed = await cli(['store', 'reclaim', 'classic', '--yes']);
    assert.match(reclaimed, /Deleted [1-9]\d* images? and 2 containers from the classic image store\./);
    assert.match(reclaimed, /Disk file on the host: .* -> .* allocated/);
    const afterDf = await df();
    const freedInVm = before.dataDisk.usedBytes - afterDf.dataDisk.usedBytes;
    const shrunk = fileBefore - allocated();
    log(`freed in the VM ${(freedInVm / MiB).toFixed(1)} MiB, disk file shrank ${(shrunk / MiB).toFixed(1)} MiB`);
    assert.ok(freedInVm >= 64 * MiB, `the VM freed ${freedInVm} bytes, less than the 64 MiB image`);
    assert.ok(
      shrunk >= 0.75 * freedInVm,
      `the disk file shrank ${shrunk} bytes, less than 75 % of the ${freedInVm} reclaimed`,
    );
    const hidden = afterDf.stores.find((s) => s.store === 'classic');
    assert.deepEqual([hidden?.images, hidden?.containers], [0, 0], 'df counts nothing in the classic store');
    assert.deepEqual(await tags(), containerdTags, 'the containerd store is untouched');

    await use('classic');
    assert.deepEqual(await docker.listImages({ all: true }), [], 'no images on the classic store');
    assert.deepEqual(await docker.listContainers({ all: true }), [], 'no containers on the classic store');
    await use('containerd');
    await cli(['api', 'call', 'volumes.remove', JSON.stringify({ name: VOLUME })]);
    await docker.getImage(KEEP).remove();
    log('done');
  });
});
