// The guest end: the OPEN allowlist, and the char-device sessions over a stand-in virtio port that
// behaves like Linux's (reads return 0 while no host is connected, at most 4 KiB per read, writes
// wait for a host), across a host restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { connectTarget, startVportMux, targetAddress, vportDevice } from '../../engine/agent/vport-mux.ts';
import fs from 'node:fs';
import { PortSessions, type PortIo } from '../../engine/transport/char-device.ts';
import { Mux } from '../../engine/transport/mux.ts';
import { connectUnix, errorOf, muxPair, readAll, service, tick } from './transport-fixtures.ts';

test('only the docker socket, the agent socket and published ports in the VM may be opened', () => {
  assert.deepEqual(targetAddress('unix:/run/docker.sock'), { path: '/run/docker.sock' });
  assert.deepEqual(targetAddress('unix:/run/berth/agent.sock'), { path: '/run/berth/agent.sock' });
  assert.deepEqual(targetAddress('tcp:127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(targetAddress('tcp:10.0.2.15:443'), { host: '10.0.2.15', port: 443 });
  assert.deepEqual(targetAddress('tcp:[::1]:5432'), { host: '::1', port: 5432 });
  assert.deepEqual(targetAddress('tcp:::1:5432'), { host: '::1', port: 5432 });
  for (const bad of [
    'unix:/etc/shadow',
    'unix:/run/docker.sock/../x',
    'tcp:8.8.8.8:53',
    'tcp:127.0.0.1:0',
    'tcp:127.0.0.1:65536',
    'tcp:localhost:80',
    'tcp:10.0.2.2:22',
    'udp:127.0.0.1:53',
    'docker',
  ]) {
    assert.throws(() => targetAddress(bad), /target not allowed/, bad);
  }
});

test('an OPEN outside the allowlist fails with the reason; an allowed port is spliced', async (t) => {
  const tcp = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const m = await muxPair(connectTarget);
  t.after(() => {
    m.close();
    tcp.close();
  });
  await assert.rejects(m.host.open('unix:/etc/passwd'), /cannot open unix:\/etc\/passwd: target not allowed/);
  await assert.rejects(m.host.open('tcp:1.1.1.1:80'), /target not allowed/);
  const s = await m.host.open(`tcp:127.0.0.1:${(tcp.address() as net.AddressInfo).port}`);
  s.end('published');
  assert.equal((await readAll(s)).toString(), 'published');
});

test('no virtio port: the guest end logs and stays out of the way', () => {
  const lines: string[] = [];
  assert.equal(
    startVportMux(path.join(os.tmpdir(), 'no-such-port'), (m) => lines.push(m)),
    null,
  );
  assert.match(lines.join('\n'), /no virtio mux port/);
});

/** A virtio-serial port as Linux shows it to the guest, with a host end to connect and drop. */
class FakePort {
  host: Duplex | null = null;
  private toGuest: Buffer[] = [];
  private wake: Array<() => void> = [];

  readonly io: PortIo = {
    read: async (buf) => {
      for (;;) {
        if (this.toGuest.length) {
          const head = this.toGuest[0] as Buffer;
          const n = Math.min(head.length, buf.length, 4096);
          head.copy(buf, 0, 0, n);
          if (n === head.length) this.toGuest.shift();
          else this.toGuest[0] = head.subarray(n);
          return n;
        }
        if (!this.host) return 0;
        await new Promise<void>((r) => this.wake.push(r));
      }
    },
    write: async (buf) => {
      while (!this.host) await new Promise<void>((r) => this.wake.push(r));
      const n = Math.min(buf.length, 32 * 1024);
      this.host.push(Buffer.from(buf.subarray(0, n)));
      return n;
    },
  };

  /** A host process connects to the port's socket. */
  connect(): Duplex {
    const host = new Duplex({
      read() {
        /* pushed by the guest's writes */
      },
      write: (chunk: Buffer, _e, cb) => {
        this.toGuest.push(chunk);
        this.signal();
        cb();
      },
    });
    this.host = host;
    this.signal();
    return host;
  }

  /** The host process goes away; what it sent and the guest did not read is lost with it. */
  drop(): void {
    this.host?.destroy();
    this.host = null;
    this.toGuest = [];
    this.signal();
  }

  private signal(): void {
    for (const w of this.wake.splice(0)) w();
  }
}

test('the guest serves a host, survives it going away, and serves the next one', async (t) => {
  const svc = await service((s) => s.pipe(s));
  const port = new FakePort();
  const guestClosed: string[] = [];
  const sessions = new PortSessions(
    port.io,
    (carrier) => {
      const mux = new Mux(carrier, { role: 'guest', onOpen: () => connectUnix(svc.path) });
      mux.on('close', (e: Error) => guestClosed.push(e.message));
    },
    { pollMs: 20 },
  );
  t.after(() => {
    sessions.stop();
    port.drop();
    svc.close();
  });
  await tick(50);

  const host1 = new Mux(port.connect(), { role: 'host' });
  const a = await host1.open('echo');
  const big = Buffer.alloc(300_000, 'a');
  a.end(big);
  assert.ok((await readAll(a)).equals(big), 'frames split into 4 KiB reads arrive whole');
  const b = await host1.open('echo');
  b.write('left hanging');
  const bErr = errorOf(b);
  port.drop();
  assert.equal((await bErr).code, 'ERR_MUX_CLOSED');
  await tick(100);
  assert.ok(guestClosed.length >= 1, 'the guest ended its session when the host went away');

  const host2 = new Mux(port.connect(), { role: 'host' });
  t.after(() => host2.close());
  const c = await host2.open('echo');
  c.end('second host');
  assert.equal((await readAll(c)).toString(), 'second host');
});

test('the agent finds its port by the name the kernel shows in /sys, without udev', () => {
  const sys = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-vports-'));
  for (const [dev, name] of [
    ['vport2p1', 'berth.boot\n'],
    ['vport2p2', 'berth.mux\n'],
    ['vport3p0', ''],
  ] as const) {
    fs.mkdirSync(path.join(sys, dev));
    fs.writeFileSync(path.join(sys, dev, 'name'), name);
  }
  try {
    assert.equal(vportDevice('berth.mux', sys), '/dev/vport2p2');
    assert.equal(vportDevice('berth.boot', sys, '/devx'), '/devx/vport2p1');
    assert.equal(vportDevice('berth.other', sys), null, 'no port of that name');
    assert.equal(vportDevice('berth.mux', path.join(sys, 'missing')), null, 'no virtio-serial at all');
    assert.equal(
      startVportMux(null, () => undefined),
      null,
      'no port: the agent runs without the data plane',
    );
  } finally {
    fs.rmSync(sys, { recursive: true, force: true });
  }
});
