// Lazy pulling (issue 32): the same eStargz image of 110 MiB random data, built on the host with
// the stargz library (estargz-image.ts) and pushed to the loopback registry through a counting proxy, run on an emptied store
// with features.lazyPulling on and then off. Prints time to first output on ÷ off (goal ≤ 0.3)
// and bytes fetched before that output ÷ the image's size (goal ≤ 0.2). Asserts nothing.
// Alone: node bin/run-ts.js e2e/bench/lazy-pulling-bench.ts
import path from 'node:path';
import { BerthEnv } from '../../test/helpers/berth-env.ts';
import { startRegistry } from '../../test/helpers/registry.ts';
import { pushLazyImages } from '../../test/helpers/estargz-image.ts';
import { forget, HELLO, imageLayerBytes, startCountingProxy, timedRun } from '../../test/helpers/lazy-pull.ts';

const MIB = 110;

async function settings(env: BerthEnv, kv: string): Promise<void> {
  const r = await env.cli(['settings', 'set', kv]);
  if (r.code !== 0) throw new Error(`settings set ${kv}: ${r.stderr}`);
}

export async function bench(): Promise<void> {
  const registry = await startRegistry();
  const proxy = await startCountingProxy(registry.port);
  const env = new BerthEnv();
  try {
    const st = await env.start();
    if (st.code !== 0) throw new Error(`berth start: ${st.stderr}`);
    const ref = `${proxy.guestAddress}/berth-lazy:1`;
    await settings(env, `dockerEngine=${JSON.stringify({ 'insecure-registries': [proxy.guestAddress] })}`);
    await settings(env, 'features.lazyPulling=true');
    await pushLazyImages(registry.port, MIB, HELLO, 'berth-lazy', 'berth-plain', '1');
    const size = await imageLayerBytes(registry.port, 'berth-lazy', '1');
    const on = await timedRun(env, proxy, ref);
    await settings(env, 'features.lazyPulling=false');
    await forget(env, [ref]);
    const off = await timedRun(env, proxy, ref);
    const mib = (b: number): string => `${(b / 1048576).toFixed(2)} MiB`;
    console.log(`eStargz image: ${mib(size)} of layers`);
    console.log(
      `on:  first output ${(on.firstOutputMs / 1000).toFixed(1)} s, ${mib(on.bytesBeforeOutput)} fetched before it (${mib(on.bytesTotal)} by the end)`,
    );
    console.log(
      `off: first output ${(off.firstOutputMs / 1000).toFixed(1)} s, ${mib(off.bytesBeforeOutput)} fetched before it`,
    );
    console.log(`time to first output on ÷ off: ${(on.firstOutputMs / off.firstOutputMs).toFixed(3)} (goal ≤ 0.3)`);
    console.log(
      `bytes before first output ÷ image size (on): ${(on.bytesBeforeOutput / size).toFixed(3)} (goal ≤ 0.2)`,
    );
  } finally {
    proxy.stop();
    registry.stop();
    await env.dispose();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await bench();
