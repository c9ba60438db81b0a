// Lazy pulling on a real VM (issue 32): an eStargz image of 110 MiB random data, written on the
// host by the stargz library and pushed to the loopback registry, is run through a counting proxy
// on an emptied store with features.lazyPulling on and then off; an ordinary image runs with it on;
// the README's conversion (ctr-remote in the VM) makes an image that runs lazily too.
// Fails when the feature is removed: with it off the same run fetches the whole image first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BerthEnv } from '../helpers/berth-env.ts';
import { startRegistry, type Registry } from '../helpers/registry.ts';
import { pushLazyImages } from '../helpers/estargz-image.ts';
import {
  convertInVm,
  forget,
  HELLO,
  imageLayerBytes,
  imageManifest,
  shellIn,
  startCountingProxy,
  timedRun,
  type CountingProxy,
  type TimedRun,
} from '../helpers/lazy-pull.ts';

const MIB = 110;

describe('lazy pulling (real VM)', { timeout: 5_400_000 }, () => {
  const env = new BerthEnv();
  let registry: Registry;
  let proxy: CountingProxy;
  let lazyRef = '';
  let plainRef = '';
  let size = 0;
  const runs: Record<'on' | 'off', TimedRun | null> = { on: null, off: null };
  const set = async (kv: string): Promise<string> => {
    const r = await env.cli(['settings', 'set', kv]);
    assert.equal(r.code, 0, `settings set ${kv}: ${r.stderr}`);
    return r.stdout + r.stderr;
  };

  before(async () => {
    registry = await startRegistry();
    proxy = await startCountingProxy(registry.port);
    lazyRef = `${proxy.guestAddress}/berth-lazy:1`;
    plainRef = `${proxy.guestAddress}/berth-plain:1`;
    const r = await env.start();
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    proxy?.stop();
    registry?.stop();
    await env.dispose();
  });

  it("turns on: the snapshotter runs as containerd's proxy plugin and dockerd uses it", async () => {
    // The loopback registry is plain HTTP: the user's own key, which the snapshotter follows too.
    await set(`dockerEngine=${JSON.stringify({ 'insecure-registries': [proxy.guestAddress] })}`);
    await set('features.lazyPulling=true');
    const plugins = await shellIn(env, 'ctr plugins ls | grep -w stargz; systemctl is-active berth-stargz.service');
    assert.match(plugins, /snapshotter.*\bstargz\b.*\bok\b/);
    const info = await shellIn(env, "docker info -f '{{.Driver}}'");
    assert.equal(info.trim(), 'stargz');
  });

  it("the README's way: ctr-remote in the VM converts a built image to eStargz, which runs", async () => {
    const ref = `${proxy.guestAddress}/berth-converted:1`;
    await convertInVm(env, ref);
    const m = await imageManifest(registry.port, 'berth-converted', '1');
    assert.ok(
      m.layers?.length && m.layers.every((l) => l.annotations?.['containerd.io/snapshot/stargz/toc.digest']),
      JSON.stringify(m.layers),
    );
    const run = await timedRun(env, proxy, ref);
    assert.equal(run.output, 'converted');
    await forget(env, [ref]);
  });

  it(`pushes a ${MIB} MiB image written on the host, as eStargz and as gzip`, async () => {
    await pushLazyImages(registry.port, MIB, HELLO, 'berth-lazy', 'berth-plain', '1');
    size = await imageLayerBytes(registry.port, 'berth-lazy', '1');
    console.log(`  eStargz image: ${(size / 1048576).toFixed(1)} MiB of layers`);
    assert.ok(size >= 100 * 1048576, `the image has ${size} bytes of layers`);
  });

  it('on: docker run prints before most of the image is fetched', async () => {
    runs.on = await timedRun(env, proxy, lazyRef);
    const on = runs.on;
    console.log(
      `  on: first output after ${(on.firstOutputMs / 1000).toFixed(1)} s, ${(on.bytesBeforeOutput / 1048576).toFixed(2)} MiB fetched before it (${(on.bytesBeforeOutput / size).toFixed(3)} of the image), ${(on.bytesTotal / 1048576).toFixed(2)} MiB in all`,
    );
    assert.equal(on.output, HELLO);
    assert.ok(
      on.bytesBeforeOutput < 0.2 * size,
      `fetched ${on.bytesBeforeOutput} of ${size} bytes before the first output`,
    );
  });

  it("berth df counts the snapshotter's cache in the containerd store's images", async () => {
    const cache = Number((await shellIn(env, 'du -sxB1 /mnt/data/containerd-stargz-grpc')).split(/\s/)[0]);
    assert.ok(cache > 0, 'the snapshotter keeps what it fetched on the data disk');
    const df = await env.cli(['df', '--json']);
    assert.equal(df.code, 0, df.stderr);
    const active = (JSON.parse(df.stdout) as { stores: Array<{ active: boolean; imagesBytes: number }> }).stores.find(
      (s) => s.active,
    );
    assert.ok(
      active && active.imagesBytes >= cache,
      `images ${active?.imagesBytes} bytes, snapshotter cache ${cache} bytes`,
    );
  });

  it('on: an ordinary gzip image pulls whole and runs', async () => {
    const plain = await timedRun(env, proxy, plainRef);
    assert.equal(plain.output, HELLO);
    assert.ok(
      plain.bytesBeforeOutput >= 0.9 * (await imageLayerBytes(registry.port, 'berth-plain', '1')),
      'a plain image is pulled whole',
    );
  });

  it('off: says which images were pulled lazily, and the same run fetches the whole image first', async () => {
    const said = await set('features.lazyPulling=false');
    assert.match(said, /pulled lazily and must be pulled again.*berth-lazy:1/);
    assert.equal((await shellIn(env, "docker info -f '{{.Driver}}'")).trim(), 'overlayfs');
    await forget(env, [lazyRef, plainRef]);
    runs.off = await timedRun(env, proxy, lazyRef);
    const off = runs.off;
    console.log(
      `  off: first output after ${(off.firstOutputMs / 1000).toFixed(1)} s, ${(off.bytesBeforeOutput / 1048576).toFixed(2)} MiB fetched before it`,
    );
    assert.equal(off.output, HELLO);
    assert.ok(off.bytesBeforeOutput >= 0.9 * size, 'without the feature the image is fetched before it runs');
    console.log(`  time to first output on/off: ${(runs.on?.firstOutputMs ?? NaN) / off.firstOutputMs}`);
  });
});
