// The engine foundation against the real VM: boot, docker through the host socket, build and
// run, stop/start persistence, and recovery from a QEMU killed under it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BerthEnv, waitFor } from '../helpers/berth-env.ts';
import { buildScratch, runToEnd } from '../helpers/docker-ops.ts';

describe('engine lifecycle (real VM)', { timeout: 900_000 }, () => {
  const env = new BerthEnv();
  let imageId = '';

  before(async () => {
    const r = await env.cli(['start']);
    assert.equal(r.code, 0, `berth start failed:\n${r.stdout}\n${r.stderr}`);
    for (const stage of ['image', 'accelerator', 'boot', 'ssh', 'socket', 'dockerd']) {
      assert.match(r.stdout, new RegExp(`\\] ${stage}`), `start did not print stage ${stage}`);
    }
  });
  after(() => env.dispose());

  it('reports running with socket, accelerator and versions', async () => {
    const st = await env.status();
    assert.equal(st.state, 'running');
    assert.equal(st.dockerSocket, env.data.dockerSocket);
    assert.ok(st.accelerator, 'accelerator reported');
    assert.match(st.versions?.docker ?? '', /^\d+\./);
    assert.match(st.versions?.kernel ?? '', /^\d+\./);
    assert.equal(fs.statSync(env.data.dockerSocket).mode & 0o777, 0o600, 'docker socket is 0600');
    assert.equal(fs.statSync(env.data.controlSocket).mode & 0o777, 0o600, 'control socket is 0600');
  });

  it('answers docker version and info through the forwarded socket', async () => {
    const v = await env.docker().version();
    assert.match(v.Version, /^2\d\./);
    const info = await env.docker().info();
    assert.equal(info.OSType, 'linux');
    assert.equal(info.Name, 'berth');
  });

  it('writes the berth docker context without switching the current one', () => {
    const metaRoot = path.join(env.dockerConfig, 'contexts', 'meta');
    const metas = fs.readdirSync(metaRoot).map((d) => JSON.parse(fs.readFileSync(path.join(metaRoot, d, 'meta.json'), 'utf8')));
    const berth = metas.find((m) => m.Name === 'berth');
    assert.equal(berth?.Endpoints.docker.Host, `unix://${env.data.dockerSocket}`);
    assert.equal(fs.existsSync(path.join(env.dockerConfig, 'config.json')), false, 'current context left alone');
  });

  it('runs a shell command in the VM', async () => {
    const r = await env.cli(['shell', 'cat', '/etc/hostname']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'berth');
    const keys = await env.cli(['shell', 'ls /etc/ssh/ | grep -c ssh_host || true']);
    assert.equal(keys.stdout.trim(), '0', 'no SSH host key baked into the image');
  });

  it('builds a FROM scratch busybox image and runs it', async () => {
    imageId = await buildScratch(env.docker(), 'berth-test/busybox:1', 'lifecycle');
    const r = await runToEnd(env.docker(), 'berth-test/busybox:1', ['cat', '/marker']);
    assert.equal(r.code, 0);
    assert.equal(r.output.trim(), 'lifecycle');
  });

  it('keeps the image across stop and start', async () => {
    const stop = await env.cli(['stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await env.status()).state, 'stopped');
    assert.equal(fs.existsSync(env.data.dockerSocket), false, 'socket removed when stopped');
    const start = await env.cli(['start']);
    assert.equal(start.code, 0, start.stderr);
    const img = await env.docker().getImage('berth-test/busybox:1').inspect();
    assert.equal(img.Id, imageId);
  });

  it('reports a killed QEMU as an error, then recovers with data intact', async () => {
    const { qemuPid } = await env.status();
    assert.ok(qemuPid);
    process.kill(qemuPid, 'SIGKILL');
    const st = await waitFor('error state', async () => {
      const s = await env.status();
      return s.state === 'error' ? s : undefined;
    });
    assert.match(st.error?.message ?? '', /stopped unexpectedly.*SIGKILL/);
    assert.ok((st.error?.console.length ?? 0) > 0, 'last console lines reported');
    const human = await env.cli(['status']);
    assert.equal(human.code, 1, 'status exits non-zero on error');
    assert.match(human.stdout, /state:\s+error/);

    const start = await env.cli(['start']);
    assert.equal(start.code, 0, start.stderr);
    const r = await runToEnd(env.docker(), 'berth-test/busybox:1', ['cat', '/marker']);
    assert.equal(r.output.trim(), 'lifecycle');
  });
});
