// The two image stores against the real VM: hide and restore on switch, round trips that lose
// nothing, multi-platform on containerd only, migration, daemon.json rollback. The factory reset
// (from the classic store, both stores emptied) is the dashboard e2e's step, as a user does it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BerthEnv } from '../helpers/berth-env.ts';
import { buildScratch } from '../helpers/docker-ops.ts';
import { hostCommand } from '../helpers/endpoint-tools.ts';
import { manifestMediaType, startRegistry, type Registry } from '../helpers/registry.ts';
import { AgentClient } from '../../engine/host/agent-client.ts';
import type { InventoryReply } from '../../engine/agent/agent-types.ts';

const ROUND_TRIPS = Number(process.env.BERTH_ROUND_TRIPS ?? 10);
const MP_BUILD =
  'mkdir -p /tmp/mp && cd /tmp/mp && echo multi > f && printf "FROM scratch\\nCOPY f /f\\n" > Dockerfile && ' +
  'docker buildx build --platform linux/amd64,linux/arm64 --load -t mp:1 . 2>&1';

type Snapshot = Array<{ id: string; refs: string[]; config: string }>;
const snap = (s: InventoryReply['active']): Snapshot =>
  s.images
    .filter((i) => i.refs.length)
    .map((i) => ({ id: i.id, refs: i.refs, config: i.config_digest }))
    .sort((a, b) => a.id.localeCompare(b.id));
const names = (s: InventoryReply['active']): string[] => s.containers.map((c) => c.name).sort();

describe('image stores (real VM)', { timeout: 3_000_000 }, () => {
  // The shared engine: dispose() puts its settings back.
  const env = new BerthEnv({ shared: true });
  let agent: AgentClient;
  let registry: Registry;

  const use = async (store: 'containerd' | 'classic'): Promise<void> => {
    const r = await env.cli(['store', 'use', store]);
    assert.equal(r.code, 0, `store use ${store}: ${r.stderr}`);
  };
  const sh = async (cmd: string): Promise<{ code: number; out: string }> => {
    const r = await env.cli(['shell', cmd]);
    return { code: r.code, out: r.stdout + r.stderr };
  };

  before(async () => {
    registry = await startRegistry();
    const r = await env.start();
    assert.equal(r.code, 0, r.stderr);
    agent = new AgentClient(env.data.agentSocket);
  });
  after(async () => {
    // What this file made, in both stores: the containerd store's by name, the classic store with
    // the product's own reclaim (it is hidden once containerd is active again).
    await use('containerd').catch(() => undefined);
    await sh(
      `docker rm -f classic-box >/dev/null 2>&1; docker rmi -f berth-test/ctr-a:1 berth-test/classic-a:1 berth-test/classic-b:1 mp:1 ${registry?.guestAddress}/mp:1 >/dev/null 2>&1; docker builder prune -af >/dev/null 2>&1; true`,
    );
    await env.cli(['store', 'reclaim', 'classic', '--yes']);
    agent?.close();
    registry?.stop();
    await env.dispose();
  });

  it('starts on the containerd store (DriverStatus from dockerd)', async () => {
    const st = await agent.status();
    assert.equal(st.active_store, 'IMAGE_STORE_CONTAINERD');
    assert.ok(st.driver_status.includes('driver-type=io.containerd.snapshotter.v1'), st.driver_status.join(','));
  });

  it("hides the classic store's images and containers on containerd, and brings them back", async () => {
    await use('classic');
    const classic = await agent.status();
    assert.equal(classic.storage_driver, 'overlay2');
    await buildScratch(env.docker(), 'berth-test/classic-a:1', 'classic-a');
    await buildScratch(env.docker(), 'berth-test/classic-b:1', 'classic-b');
    await env.docker().createContainer({ name: 'classic-box', Image: 'berth-test/classic-a:1', Cmd: ['true'] });

    await use('containerd');
    assert.deepEqual(await env.docker().listImages(), [], 'docker lists no classic image on containerd');
    assert.deepEqual(
      await env.docker().listContainers({ all: true }),
      [],
      'docker lists no classic container on containerd',
    );
    let inv = await agent.inventory();
    assert.deepEqual(inv.hidden.images.flatMap((i) => i.refs).sort(), [
      'berth-test/classic-a:1',
      'berth-test/classic-b:1',
    ]);
    assert.deepEqual(names(inv.hidden), ['classic-box']);

    await buildScratch(env.docker(), 'berth-test/ctr-a:1', 'ctr-a');
    await use('classic');
    inv = await agent.inventory();
    assert.deepEqual(inv.active.images.flatMap((i) => i.refs).sort(), [
      'berth-test/classic-a:1',
      'berth-test/classic-b:1',
    ]);
    assert.deepEqual(names(inv.active), ['classic-box']);
    assert.deepEqual(
      inv.hidden.images.flatMap((i) => i.refs),
      ['docker.io/berth-test/ctr-a:1'],
    );
    const listed = (await env.docker().listImages()).flatMap((i) => i.RepoTags ?? []).sort();
    assert.deepEqual(listed, ['berth-test/classic-a:1', 'berth-test/classic-b:1']);
  });

  it(`loses nothing over ${ROUND_TRIPS} round trips with both stores populated`, async () => {
    const before = await agent.inventory(); // classic active
    const classic0 = snap(before.active);
    const ctr0 = snap(before.hidden);
    for (let i = 0; i < ROUND_TRIPS; i++) {
      await use('containerd');
      const onCtr = await agent.inventory();
      assert.deepEqual(snap(onCtr.active), ctr0, `containerd store changed in round trip ${i + 1}`);
      assert.deepEqual(snap(onCtr.hidden), classic0, `classic store changed in round trip ${i + 1}`);
      await use('classic');
      const onClassic = await agent.inventory();
      assert.deepEqual(snap(onClassic.active), classic0, `classic store changed in round trip ${i + 1}`);
      assert.deepEqual(names(onClassic.active), ['classic-box']);
    }
  });

  it("refuses a multi-platform build on classic with Docker's own message", async () => {
    // buildx checks the driver before building when the output is the image store (0.29 adds
    // "Switch to a different driver, or turn on the containerd image store"); with --load it may
    // fail later, in the exporter, with BuildKit's words: both are refusals.
    const r = await sh(MP_BUILD.replace(' --load', ''));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /Multi-platform build is not supported for the docker driver/);
    const load = await sh(MP_BUILD);
    assert.notEqual(load.code, 0, load.out);
    assert.match(load.out, /not supported|does not currently support exporting manifest lists/);
  });

  it('migrates every tagged classic image into the containerd store with identical config digests', async () => {
    const classic = snap((await agent.inventory()).active);
    assert.ok(classic.length > 0, 'the classic store holds tagged images to migrate (the loop below checks each)');
    const r = await env.cli(['store', 'migrate']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /done.*classic copies still hold/);
    const inv = await agent.inventory();
    assert.equal(inv.active.store, 'IMAGE_STORE_CLASSIC', 'migration ends on the store it started on');
    assert.deepEqual(snap(inv.active), classic, 'classic copies stay');
    for (const img of classic) {
      const landed = inv.hidden.images.find((i) => i.refs.some((ref) => ref.endsWith(img.refs[0]!)));
      assert.equal(landed?.config_digest, img.config, `${img.refs[0]} in containerd with the same config digest`);
    }
  });

  it('a docker events client through Berth ends as inside the VM when a switch restarts dockerd, and does not hold it up', async () => {
    // dockerd's shutdown waits up to 5 s for open requests ("Error shutting down http server"):
    // the agent ends relayed events streams as the restart begins (engine/agent/docker-streams.ts).
    const dockerEnv = { ...env.env, DOCKER_HOST: `unix://${env.data.dockerSocket}` };
    const host = hostCommand(dockerEnv);
    const client = spawn('docker', ['events', '--filter', 'type=image', '--format', '{{.Action}}'], { env: dockerEnv });
    let out = '';
    let err = '';
    client.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    client.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => client.on('exit', r));
    const sinceS = Math.floor(Date.now() / 1000);
    // Subscribed once it has printed an event of ours.
    for (const until = Date.now() + 60_000; !/^tag$/m.test(out); await new Promise((r) => setTimeout(r, 300))) {
      assert.ok(Date.now() < until, `docker events printed nothing: ${err}`);
      await host('docker tag berth-test/classic-a:1 berth-test/events:1 && docker rmi berth-test/events:1');
    }
    await use('containerd');
    assert.equal(await exited, 1, 'the CLI exits as it does inside the VM');
    assert.match(err, /unexpected EOF/);
    const journal = await sh(`journalctl -u docker.service -o cat --no-pager --since @${sinceS}`);
    assert.match(journal.out, /Daemon shutdown complete/, 'dockerd restarted');
    assert.doesNotMatch(journal.out, /Error shutting down http server/, "no open request held dockerd's shutdown");
  });

  it('builds and pushes a multi-platform index on containerd', async () => {
    await use('containerd');
    const r = await sh(MP_BUILD);
    assert.equal(r.code, 0, r.out);
    const inv = await agent.inventory();
    const mp = inv.active.images.find((i) => i.refs.includes('docker.io/library/mp:1'));
    assert.deepEqual(mp?.platforms.map((p) => `${p.os}/${p.architecture}:${p.present}`).sort(), [
      'linux/amd64:true',
      'linux/arm64:true',
    ]);

    // The registry is plain HTTP on the host's loopback: the user's own daemon.json key allows it.
    const set = await env.cli([
      'settings',
      'set',
      `dockerEngine=${JSON.stringify({ 'insecure-registries': [registry.guestAddress] })}`,
    ]);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    const push = await sh(
      `docker tag mp:1 ${registry.guestAddress}/mp:1 && docker push ${registry.guestAddress}/mp:1 2>&1`,
    );
    assert.equal(push.code, 0, push.out);
    assert.equal(await manifestMediaType(registry.port, 'mp', '1'), 'application/vnd.oci.image.index.v1+json');

    // The host's own CLI through Berth (engine API >= 1.47/1.48): the index's variants, and one
    // platform of it saved and pulled.
    const host = hostCommand({ ...env.env, DOCKER_HOST: `unix://${env.data.dockerSocket}` });
    const tree = await host('docker image ls --tree mp:1');
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, /linux\/amd64/);
    assert.match(tree.stdout, /linux\/arm64/);
    const blobs = async (flags: string): Promise<number> => {
      const r = await host(`docker save ${flags} mp:1 | tar -t | grep -c '^blobs/sha256/.'`);
      assert.equal(r.code, 0, r.stderr);
      return Number(r.stdout.trim());
    };
    assert.ok((await blobs('--platform linux/arm64')) < (await blobs('')), 'docker save --platform keeps one platform');
    const pull = await host(`docker pull --platform linux/arm64 ${registry.guestAddress}/mp:1`);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /Digest: sha256:/);
  });

  it("rolls back a daemon.json key that stops dockerd, and reports dockerd's error", async () => {
    const before = await agent.status();
    await assert.rejects(agent.setImageStore('containerd', JSON.stringify({ 'bogus-key': true })), /bogus-key/);
    const after = await agent.status();
    assert.equal(after.engine_state, 'running');
    assert.equal(after.daemon_json, before.daemon_json, 'previous daemon.json restored');
    assert.equal(after.active_store, 'IMAGE_STORE_CONTAINERD');
    assert.match(after.daemon_json, /insecure-registries/, 'other keys kept');

    // The same through Apply & Restart: refused with dockerd's words, settings rolled back.
    const r = await env.cli(['settings', 'set', 'dockerEngine={"bogus-key":true}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /bogus-key/);
    const kept = await env.cli(['settings', 'get', 'dockerEngine']);
    assert.match(kept.stdout, /insecure-registries/);
    assert.doesNotMatch(kept.stdout, /bogus-key/);
    assert.equal((await agent.status()).engine_state, 'running');
  });

  it('berth settings set useContainerdSnapshotter moves dockerd between stores (DriverStatus)', async () => {
    const off = await env.cli(['settings', 'set', 'useContainerdSnapshotter=false']);
    assert.equal(off.code, 0, off.stdout + off.stderr);
    let st = await agent.status();
    assert.equal(st.storage_driver, 'overlay2');
    assert.ok(!st.driver_status.includes('driver-type=io.containerd.snapshotter.v1'));
    const on = await env.cli(['settings', 'set', 'useContainerdSnapshotter=true']);
    assert.equal(on.code, 0, on.stdout + on.stderr);
    st = await agent.status();
    assert.ok(st.driver_status.includes('driver-type=io.containerd.snapshotter.v1'), st.driver_status.join(','));
    const get = await env.cli(['settings', 'get', 'useContainerdSnapshotter']);
    assert.match(get.stdout, /true/);
  });
});
