// `berth` failures that need no VM: each gets a clear message and a non-zero exit code.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BerthEnv } from '../helpers/berth-env.ts';

describe('berth CLI failures', { timeout: 180_000 }, () => {
  const envs: BerthEnv[] = [];
  const make = (extra: NodeJS.ProcessEnv): BerthEnv => {
    const e = new BerthEnv();
    Object.assign(e.env, extra);
    envs.push(e);
    return e;
  };
  after(async () => {
    for (const e of envs) await e.dispose();
  });

  it('says where the VM image is missing and how to build it', async () => {
    const env = make({ BERTH_IMAGE_DIR: '/nonexistent/berth-image' });
    const r = await env.cli(['start']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VM image not found in \/nonexistent\/berth-image.*npm run image/);
    const st = await env.status();
    assert.equal(st.state, 'error');
    assert.match(st.error?.message ?? '', /VM image not found/);
  });

  it('names the missing QEMU binary and the package that provides it', async () => {
    // A stand-in image dir, so the image check passes and QEMU is the first thing missing.
    const env = make({ BERTH_QEMU: '/nonexistent/qemu-system-x86_64' });
    const image = `${env.root}/image`;
    fs.mkdirSync(image);
    for (const f of ['vmlinuz', 'initrd.img', 'rootfs.img.zst', 'rootfs.img']) fs.writeFileSync(`${image}/${f}`, '');
    env.env.BERTH_IMAGE_DIR = image;
    const r = await env.cli(['start']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /QEMU not found: '\/nonexistent\/qemu-system-x86_64'.*apt-get install qemu-system-x86/);
  });

  it('refuses a second host for the same data dir', async () => {
    const env = make({ BERTH_IMAGE_DIR: '/nonexistent/berth-image' });
    await env.cli(['status']);
    await env.cli(['start']); // leaves a host running (in error state)
    const r = await env.cli(['host']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /another Berth host \(pid \d+\) already runs for this data dir/);
  });

  it('rejects unknown commands with usage and exit code 2', async () => {
    const env = make({});
    const r = await env.cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.match(r.stderr, /usage: berth/);
  });

  it('reports stopped (exit 0) when nothing runs, and shell refuses clearly', async () => {
    const env = make({});
    const st = await env.cli(['status']);
    assert.equal(st.code, 0);
    assert.match(st.stdout, /state:\s+stopped/);
    const sh = await env.cli(['shell', 'true']);
    assert.equal(sh.code, 1);
    assert.match(sh.stderr, /the engine is not running \(state: stopped\); run 'berth start' first/);
    assert.equal(fs.existsSync(env.data.dockerSocket), false);
  });
});
