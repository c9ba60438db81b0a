// The multiplexer over a real unix socket pair: streams behave like sockets (half-close both ways,
// resets both ways), many interleave, a vanished peer fails everything clearly, a restarted peer
// starts clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { Mux } from '../../engine/transport/mux.ts';
import { connectTarget } from '../../engine/agent/vport-mux.ts';
import { connectUnix, errorOf, muxPair, readAll, service, socketPair, tick } from './transport-fixtures.ts';

/** Echoes upper-cased once the client has ended its side, then ends. */
const upperOnEnd = (s: net.Socket): void => {
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  s.on('end', () => s.end(Buffer.concat(got).toString().toUpperCase()));
};

test('a client that ends its side still reads the whole reply (half-close host → guest)', async (t) => {
  const svc = await service(upperOnEnd);
  const m = await muxPair(() => connectUnix(svc.path));
  t.after(() => {
    m.close();
    svc.close();
  });
  const s = await m.host.open('svc');
  const closed = new Promise((r) => s.once('close', r));
  s.end('hello over the mux');
  assert.equal((await readAll(s)).toString(), 'HELLO OVER THE MUX');
  await closed;
  await tick();
  assert.equal(m.host.streamCount, 0, 'a stream done both ways is forgotten');
  assert.equal(m.guest.streamCount, 0);
});

test('the service ends first and still reads what the client sends after (half-close guest → host)', async (t) => {
  const received: Buffer[] = [];
  let done!: () => void;
  const serviceGot = new Promise<void>((r) => {
    done = r;
  });
  const svc = await service((s) => {
    s.end('banner\n');
    s.on('data', (d: Buffer) => received.push(d));
    s.on('end', () => done());
  });
  const m = await muxPair(() => connectUnix(svc.path));
  t.after(() => {
    m.close();
    svc.close();
  });
  const s = await m.host.open('svc');
  const reply = readAll(s);
  assert.equal((await reply).toString(), 'banner\n');
  assert.ok(!s.writableEnded, 'our side is still open after the peer ended');
  s.write('late ');
  s.end('words');
  await serviceGot;
  assert.equal(Buffer.concat(received).toString(), 'late words');
});

test('many streams interleave, each getting exactly its own bytes', async (t) => {
  const svc = await service((s) => s.pipe(s));
  const m = await muxPair(() => connectUnix(svc.path));
  t.after(() => {
    m.close();
    svc.close();
  });
  const payloads = Array.from({ length: 40 }, (_, i) => crypto.randomBytes(1000 + i * 9973));
  const streams = await Promise.all(payloads.map(() => m.host.open('echo')));
  const replies = streams.map((s) => readAll(s));
  // Written in small slices, round-robin, so frames of all streams alternate on the carrier.
  for (let off = 0; off < 400_000; off += 3000) {
    streams.forEach((s, i) => {
      const p = payloads[i] as Buffer;
      if (off < p.length) s.write(p.subarray(off, off + 3000));
    });
  }
  streams.forEach((s) => s.end());
  (await Promise.all(replies)).forEach((r, i) => assert.ok(r.equals(payloads[i] as Buffer), `stream ${i}`));
});

test('a reset on either side reaches the other', async (t) => {
  let guestSide: net.Socket | null = null;
  const svc = await service((s) => {
    guestSide = s;
    s.resume();
  });
  const m = await muxPair(() => connectUnix(svc.path));
  t.after(() => {
    m.close();
    svc.close();
  });

  // Host aborts: the guest's connection to the service is torn down (the service reads its end).
  const a = await m.host.open('svc');
  a.write('partial');
  while (!guestSide) await tick(5);
  const serviceEnded = new Promise((r) => (guestSide as unknown as net.Socket).once('end', r));
  a.destroy();
  await serviceEnded;
  await tick();
  assert.equal(m.guest.streamCount, 0);

  // A TCP service aborts (RST): the host's stream errors with a reset.
  let tcpSide: net.Socket | null = null;
  const tcp = net.createServer((s) => {
    tcpSide = s;
    s.resume();
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  t.after(() => tcp.close());
  const m2 = await muxPair(() => connectTarget(`tcp:127.0.0.1:${(tcp.address() as net.AddressInfo).port}`));
  t.after(() => m2.close());
  const b = await m2.host.open('tcp');
  while (!tcpSide) await tick(5);
  const err = errorOf(b);
  (tcpSide as unknown as net.Socket).resetAndDestroy();
  const e = await err;
  assert.equal(e.code, 'ECONNRESET');
  assert.match(e.message, /reset by peer/);
});

test("a refused open rejects with the peer's reason; a side without a handler refuses", async (t) => {
  const m = await muxPair(async (target) => {
    throw new Error(`no such thing: ${target}`);
  });
  t.after(() => m.close());
  await assert.rejects(
    m.host.open('nowhere'),
    (e: Error & { code?: string }) => e.code === 'ERR_MUX_OPEN_FAILED' && /no such thing: nowhere/.test(e.message),
  );
  await assert.rejects(m.guest.open('back'), /accepts no streams/);
});

test('the peer vanishing mid-stream fails every stream and pending open, and later opens', async (t) => {
  const svc = await service((s) => s.resume());
  let release!: () => void;
  const stalled = new Promise<void>((r) => {
    release = r;
  });
  const m = await muxPair(async (target) => {
    if (target === 'stall') await stalled;
    return connectUnix(svc.path);
  });
  t.after(() => {
    release();
    m.close();
    svc.close();
  });
  const streams = await Promise.all([m.host.open('a'), m.host.open('b')]);
  streams.forEach((s) => s.write('in flight'));
  const errors = streams.map((s) => errorOf(s));
  const pending = m.host.open('stall');
  const closed = new Promise<Error>((r) => m.host.once('close', r));
  await tick();
  m.guestSock.destroy();
  for (const e of await Promise.all(errors)) assert.equal(e.code, 'ERR_MUX_CLOSED');
  await assert.rejects(pending, /carrier closed/);
  assert.match((await closed).message, /carrier closed/);
  await assert.rejects(m.host.open('a'), /carrier closed/);
});

test("opens wait for the peer's handshake, and time out when it never comes", async (t) => {
  const [a, b] = await socketPair();
  const host = new Mux(a, { role: 'host', openTimeoutMs: 300 });
  t.after(() => host.close());
  await assert.rejects(host.open('x'), (e: Error & { code?: string }) => e.code === 'ERR_MUX_TIMEOUT');
  const svc = await service((s) => s.end('late guest'));
  t.after(() => svc.close());
  const opening = host.open('x');
  await tick(100);
  const guest = new Mux(b, { role: 'guest', onOpen: () => connectUnix(svc.path) });
  t.after(() => guest.close());
  assert.equal((await readAll(await opening)).toString(), 'late guest');
});

test('a restarted peer on the same carrier resets every old stream; new streams work', async (t) => {
  const svc = await service((s) => s.pipe(s));
  const [hostSock, guestSock] = await socketPair();
  const host = new Mux(hostSock, { role: 'host' });
  const resets: number[] = [];
  host.on('peer-reset', (n: number) => resets.push(n));
  // Guest muxes on stand-in carriers over one socket that outlives them (like the char device).
  const guestCarrier = (): Duplex => {
    const inbound = new PassThrough();
    guestSock.removeAllListeners('data');
    guestSock.on('data', (d: Buffer) => inbound.write(d));
    const outbound = new Writable({
      write: (c: Buffer, _e, cb) => {
        guestSock.write(c, cb);
      },
    });
    return Duplex.from({ readable: inbound, writable: outbound });
  };
  const first = new Mux(guestCarrier(), { role: 'guest', onOpen: () => connectUnix(svc.path) });
  t.after(() => {
    host.close();
    svc.close();
    guestSock.destroy();
  });
  const old = await host.open('echo');
  const oldErr = errorOf(old);
  const second = new Mux(guestCarrier(), { role: 'guest', onOpen: () => connectUnix(svc.path) });
  t.after(() => {
    first.close();
    second.close();
  });
  const e = await oldErr;
  assert.equal(e.code, 'ECONNRESET');
  assert.match(e.message, /peer restarted/);
  assert.deepEqual(resets, [1]);
  const fresh = await host.open('echo');
  fresh.end('still works');
  assert.equal((await readAll(fresh)).toString(), 'still works');
});
