// The host end of a socket in the VM: half-close in both directions, abort propagation, and a
// clear, immediate refusal while the engine is down (no hang).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ForwardedSocket, refuseHttp } from '../../engine/host/forwarded-socket.ts';
import { splice } from '../../engine/transport/splice.ts';

const sockPath = (): string => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-fs-')), 's.sock');

/** A stand-in for a guest service: echoes upper-cased once the client ends, then ends. */
async function guestService(): Promise<{ path: string; server: net.Server }> {
  const p = sockPath();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    let got = '';
    s.on('data', (d) => {
      got += d;
    });
    s.on('end', () => s.end(got.toUpperCase()));
  });
  await new Promise<void>((r) => server.listen(p, r));
  return { path: p, server };
}

function talk(p: string, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ path: p, allowHalfOpen: true });
    let got = '';
    c.on('connect', () => c.end(send));
    c.on('data', (d) => {
      got += d;
    });
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

test('a client that half-closes reads the whole reply; the socket is 0600', async (t) => {
  const g = await guestService();
  const fwd = new ForwardedSocket(sockPath());
  t.after(() => {
    fwd.close();
    g.server.close();
  });
  await fwd.listen();
  fwd.connect(async () => net.connect(g.path));
  assert.equal(fs.statSync(fwd.hostPath).mode & 0o777, 0o600);
  assert.equal(await talk(fwd.hostPath, 'hi'), 'HI');
  const big = 'x'.repeat(4 * 1024 * 1024);
  assert.equal((await talk(fwd.hostPath, big)).length, big.length, 'backpressure loses nothing');
});

test('a connection reset on one side resets the other (TCP through splice)', async (t) => {
  let guestSide: net.Socket | null = null;
  const guest = net.createServer((s) => {
    guestSide = s;
    s.resume();
    s.on('error', () => undefined);
  });
  const front = net.createServer((local) => {
    splice(local, net.connect((guest.address() as net.AddressInfo).port, '127.0.0.1'));
  });
  await new Promise<void>((r) => guest.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  t.after(() => {
    guest.close();
    front.close();
  });
  const c = net.connect((front.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => c.on('connect', r));
  c.write('partial');
  while (!guestSide) await new Promise((r) => setTimeout(r, 10));
  const closed = new Promise((r) => (guestSide as unknown as net.Socket).on('close', r));
  c.resetAndDestroy();
  await closed;
  assert.ok((guestSide as unknown as net.Socket).destroyed, 'the guest side was torn down');
});

test('while the engine is down, a docker client gets an HTTP 503 that says so, at once', async (t) => {
  const fwd = new ForwardedSocket(sockPath(), refuseHttp);
  t.after(() => fwd.close());
  await fwd.listen();
  fwd.disconnect('the Berth engine is not running (stopped)');
  const t0 = Date.now();
  const reply = await new Promise<string>((resolve, reject) => {
    const c = net.connect(fwd.hostPath);
    let got = '';
    c.on('connect', () => c.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n'));
    c.on('data', (d) => {
      got += d;
    });
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
  assert.ok(Date.now() - t0 < 2000, 'no hang');
  assert.match(reply, /^HTTP\/1\.1 503 /);
  assert.equal(JSON.parse(reply.split('\r\n\r\n')[1]!).message, 'the Berth engine is not running (stopped)');
  // A stream the VM cannot open is refused with its reason too.
  fwd.connect(async () => {
    throw new Error('/run/docker.sock does not answer in the VM');
  });
  const again = await new Promise<string>((resolve) => {
    const c = net.connect(fwd.hostPath);
    let got = '';
    c.on('connect', () => c.write('GET /_ping HTTP/1.1\r\n\r\n'));
    c.on('data', (d) => {
      got += d;
    });
    c.on('end', () => resolve(got));
  });
  assert.match(again, /does not answer in the VM/);
  fwd.close();
  assert.equal(fs.existsSync(fwd.hostPath), false, 'closed: the socket file is gone');
});
