// Host integration against the real VM: a published port answers on the host's 127.0.0.1 and
// stops with the container; a taken host port is reported; containers reach the host's loopback
// as host.docker.internal (default bridge and a user-defined network); a shared host folder is
// bind-mounted both ways, with files from the container owned by the sharing user.
import { after, before, describe, it } from 'node:test';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BerthEnv, waitFor } from '../helpers/berth-env.ts';
import { buildScratch, runToEnd } from '../helpers/docker-ops.ts';

const IMAGE = 'berth-test/busybox-hi:1';

/** The body of GET url, or the error code (ECONNREFUSED, ECONNRESET, …). */
function get(url: string): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 20_000 }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

describe('host integration (real VM)', { timeout: 1_800_000 }, () => {
  // Shares the suite's engine, which is booted sharing env.shareRoot already.
  const env = new BerthEnv({ shared: true });
  // A shared root of its own (not the real home dir). When the tests run as root, the share
  // belongs to uid 1000 and virtiofsd runs as that user, as it would for a non-root Berth user.
  const asRoot = process.getuid?.() === 0;
  const owner = env.shareOwner;
  const shareRoot = env.shareRoot;
  const hostServer = http.createServer((req, res) => res.end(`host says hi ${req.url}\n`));
  let hostPort = 0;

  before(async () => {
    env.prepareShare();
    await new Promise<void>((r) => hostServer.listen(0, '127.0.0.1', r));
    hostPort = (hostServer.address() as net.AddressInfo).port;
    const r = await env.start();
    assert.equal(r.code, 0, `berth start failed:\n${r.stdout}\n${r.stderr}`);
    await buildScratch(env.docker(), IMAGE, 'host-integration');
  });
  after(async () => {
    hostServer.close();
    await env
      .docker()
      .getImage(IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
    fs.rmSync(path.join(shareRoot, 'project'), { recursive: true, force: true });
    await env.dispose();
  });

  it('a published port answers on the host and stops answering after docker stop', async () => {
    const port = await freeTcpPort();
    const c = await env.docker().createContainer({
      Image: IMAGE,
      Cmd: ['httpd', '-f', '-p', '80', '-h', '/'],
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(port) }] } },
    });
    try {
      await c.start();
      const ok = await waitFor(
        `http://127.0.0.1:${port}`,
        async () => {
          const r = await get(`http://127.0.0.1:${port}/marker`);
          return r.status === 200 ? r : undefined;
        },
        120_000,
      );
      assert.equal(ok.body?.trim(), 'host-integration');
      const st = await env.status();
      assert.ok(
        st.ports?.some((p) => p.hostPort === port && p.hostIp === '127.0.0.1' && p.containerPort === '80/tcp'),
        JSON.stringify(st.ports),
      );
      const text = await env.cli(['status']);
      assert.match(text.stdout, new RegExp(`ports: .*127\\.0\\.0\\.1:${port} -> `));

      await c.stop({ t: 1 });
      // Between the container's stop and Berth hearing of it, a connection may still be taken
      // and reset; once the port is gone from the status the host refuses it outright.
      await waitFor(
        'the port to leave the status',
        async () => ((await env.status()).ports?.some((p) => p.hostPort === port) ? undefined : true),
        60_000,
      );
      const gone = await get(`http://127.0.0.1:${port}/marker`);
      assert.equal(gone.error, 'ECONNREFUSED');
    } finally {
      await c.remove({ force: true });
    }
  });

  it('a host port already taken is reported in berth status and the log, then cleared', async () => {
    const port = await freeTcpPort();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    const c = await env.docker().createContainer({
      Image: IMAGE,
      Cmd: ['httpd', '-f', '-p', '80', '-h', '/'],
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(port) }] } },
    });
    try {
      await c.start();
      const err = await waitFor(
        'the port error in status',
        async () => (await env.status()).portErrors?.find((e) => e.hostPort === port),
        120_000,
      );
      assert.match(err.message, /already in use by another program/);
      assert.equal(err.containerPort, '80/tcp');
      const text = await env.cli(['status']);
      assert.match(text.stdout, new RegExp(`port error: .*127\\.0\\.0\\.1:${port}`));
      assert.match(fs.readFileSync(env.data.hostLog, 'utf8'), new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      await c.remove({ force: true });
      blocker.close();
    }
    await waitFor(
      'the error to clear',
      async () => ((await env.status()).portErrors?.some((e) => e.hostPort === port) ? undefined : true),
      60_000,
    );
  });

  it('containers reach the host loopback as host.docker.internal, on the default bridge and a user-defined network', async () => {
    const cmd = [
      'sh',
      '-c',
      `nslookup host.docker.internal && wget -qO- http://host.docker.internal:${hostPort}/from-container`,
    ];
    const bridge = await runToEnd(env.docker(), IMAGE, cmd);
    assert.equal(bridge.code, 0, bridge.output);
    assert.match(bridge.output, /Address:?\s+10\.0\.2\.2\b/);
    assert.match(bridge.output, /host says hi \/from-container/);

    const network = await env.docker().createNetwork({ Name: 'berth-test-hostnet' });
    try {
      const c = await env
        .docker()
        .createContainer({ Image: IMAGE, Cmd: cmd, Tty: true, HostConfig: { NetworkMode: 'berth-test-hostnet' } });
      try {
        await c.start();
        const { StatusCode } = await c.wait();
        const out = (await c.logs({ stdout: true, stderr: true })).toString();
        assert.equal(StatusCode, 0, out);
        assert.match(out, /Server:\s+127\.0\.0\.11/, "dockerd's embedded DNS answered");
        assert.match(out, /host says hi \/from-container/);
      } finally {
        await c.remove({ force: true });
      }
    } finally {
      await network.remove();
    }
  });

  it('a folder under the shared root is bind-mounted both ways, container files owned by the user', async () => {
    const st = await env.status();
    assert.equal(st.fileSharing?.mechanism, 'virtiofs', JSON.stringify(st.fileSharing));
    assert.deepEqual(st.fileSharing?.shared, [shareRoot]);
    const dir = path.join(shareRoot, 'project');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'from-host.txt'), 'written on the host\n');
    if (asRoot) for (const p of [dir, path.join(dir, 'from-host.txt')]) fs.chownSync(p, owner.uid, owner.gid);

    const c = await env.docker().createContainer({
      Image: IMAGE,
      Cmd: [
        'sh',
        '-c',
        'cat /src/from-host.txt && echo "written in the container" > /src/from-container.txt && mkdir /src/out',
      ],
      Tty: true,
      HostConfig: { Binds: [`${dir}:/src`] },
    });
    try {
      await c.start();
      const { StatusCode } = await c.wait();
      const out = (await c.logs({ stdout: true, stderr: true })).toString();
      assert.equal(StatusCode, 0, out);
      assert.match(out, /written on the host/);
    } finally {
      await c.remove({ force: true });
    }

    const created = path.join(dir, 'from-container.txt');
    assert.equal(fs.readFileSync(created, 'utf8'), 'written in the container\n');
    for (const p of [created, path.join(dir, 'out')]) {
      const s = fs.statSync(p);
      assert.deepEqual({ uid: s.uid, gid: s.gid }, owner, `${p} belongs to the sharing user`);
    }
  });
});
