// Flow control and bulk transfer: a reader that does not read holds up only its own stream, with
// bounded buffering on both ends; writes see backpressure; 64 MiB arrive byte-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { connectUnix, muxPair, readAll, service, tick } from './transport-fixtures.ts';

const MiB = 1024 * 1024;

/** Writes `total` random bytes in 64 KiB pieces, honouring backpressure; resolves with their hash. */
async function produce(s: net.Socket | Duplex, total: number, accepted?: { n: number }): Promise<string> {
  const hash = crypto.createHash('sha256');
  for (let off = 0; off < total; off += 64 * 1024) {
    const piece = crypto.randomBytes(Math.min(64 * 1024, total - off));
    hash.update(piece);
    if (accepted) accepted.n += piece.length;
    if (!s.write(piece)) await new Promise((r) => s.once('drain', r));
  }
  s.end();
  return hash.digest('hex');
}

function sha(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

test('a stream nobody reads stalls alone: others flow, buffering stays bounded, nothing is lost', async (t) => {
  const accepted = { n: 0 };
  let produced: Promise<string> | null = null;
  const firehose = await service((s) => {
    produced = produce(s, 32 * MiB, accepted);
  });
  const echo = await service((s) => s.pipe(s));
  const m = await muxPair((target) => connectUnix(target === 'firehose' ? firehose.path : echo.path));
  t.after(() => {
    m.close();
    firehose.close();
    echo.close();
  });

  const slow = await m.host.open('firehose');
  slow.pause();
  await tick(200);
  const busy = await m.host.open('echo');
  const payload = crypto.randomBytes(16 * MiB);
  const back = readAll(busy);
  busy.end(payload);
  assert.equal(sha(await back), sha(payload), 'the other stream carried 16 MiB while this one stalled');
  const held = accepted.n;
  assert.ok(held < 4 * MiB, `the stalled service could hand over only ${held} bytes (window plus socket buffers)`);
  assert.ok(slow.readableLength <= 512 * 1024, `host buffers ${slow.readableLength} bytes for the stalled stream`);

  const all = readAll(slow);
  slow.resume();
  const got = await all;
  assert.equal(got.length, 32 * MiB);
  assert.equal(sha(got), await (produced as unknown as Promise<string>));
});

test('writing to a service that does not read returns false, then drains once it reads', async (t) => {
  let reader: net.Socket | null = null;
  const sink = await service((s) => {
    reader = s;
    s.pause();
  });
  const m = await muxPair(() => connectUnix(sink.path));
  t.after(() => {
    m.close();
    sink.close();
  });
  const s = await m.host.open('sink');
  let written = 0;
  while (s.write(Buffer.alloc(64 * 1024, 7))) {
    written += 64 * 1024;
    if (written > 64 * MiB) break;
    await tick(0);
  }
  assert.ok(written < 8 * MiB, `backpressure after ${written} bytes`);
  const drained = new Promise((r) => s.once('drain', r));
  while (!reader) await tick(5);
  const got = readAll(reader as unknown as net.Socket);
  (reader as unknown as net.Socket).resume();
  await drained;
  s.end();
  assert.equal((await got).length, written + 64 * 1024);
  const closed = new Promise((r) => s.once('close', r));
  s.resume();
  (reader as unknown as net.Socket).end();
  await closed;
});

test('64 MiB each way arrive byte-identical (throughput printed)', async (t) => {
  const total = 64 * MiB;
  let upHash: Promise<string> | null = null;
  let downHash: Promise<string> | null = null;
  const svc = await service((s) => {
    // The service hashes what it receives and sends 64 MiB of its own.
    const h = crypto.createHash('sha256');
    upHash = new Promise((resolve) => {
      s.on('data', (d: Buffer) => h.update(d));
      s.on('end', () => resolve(h.digest('hex')));
    });
    downHash = produce(s, total);
  });
  const m = await muxPair(() => connectUnix(svc.path));
  t.after(() => {
    m.close();
    svc.close();
  });
  const s = await m.host.open('svc');
  const down = crypto.createHash('sha256');
  let downBytes = 0;
  const t0 = process.hrtime.bigint();
  const received = new Promise<void>((resolve) => {
    s.on('data', (d: Buffer) => {
      down.update(d);
      downBytes += d.length;
    });
    s.on('end', resolve);
  });
  const sent = await produce(s, total);
  await received;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  assert.equal(downBytes, total);
  assert.equal(sent, await (upHash as unknown as Promise<string>));
  assert.equal(down.digest('hex'), await (downHash as unknown as Promise<string>));
  console.log(
    `mux throughput: ${((2 * total) / MiB / secs).toFixed(0)} MB/s (64 MiB each way at once over one unix socket, ${secs.toFixed(2)} s)`,
  );
});
