// The read-ahead thread over a real fd. A regular file stands in for the virtio port: it reads
// data, then 0 at its end (the port's "no host"), and data again once more is appended (a host
// that connects). A ring smaller than the data makes the worker wait for the consumer.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { readAhead, type ReadAhead, type ReadAheadOptions } from '../../engine/transport/read-ahead.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-read-ahead-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** Reads until a 0; resolves with the bytes before it. */
async function untilZero(read: (b: Buffer) => Promise<number>, slowMs = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(7000); // not a divisor of the ring: pieces end anywhere
  for (;;) {
    const n = await read(buf);
    if (n === 0) return Buffer.concat(parts);
    parts.push(Buffer.from(buf.subarray(0, n)));
    if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
  }
}

/** A read-ahead over a new file holding `content`, stopped and closed after the test. */
function aheadOf(
  t: TestContext,
  name: string,
  content: Buffer,
  ringBytes: number,
  pollMs: number,
  more: ReadAheadOptions = {},
): { file: string; r: ReadAhead } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const fd = fs.openSync(file, 'r');
  const r = readAhead(fd, { ringBytes, pollMs, ...more });
  t.after(() => {
    r.stop();
    fs.closeSync(fd);
  });
  return { file, r };
}

test('every byte, in order, through a ring much smaller than the data, then the 0', async (t) => {
  const content = crypto.randomBytes(300_000);
  const { r } = aheadOf(t, 'a', content, 16 * 1024, 20);
  assert.ok((await untilZero((b) => r.read(b))).equals(content));
});

test('a slow consumer: the worker waits on a full ring and loses nothing', async (t) => {
  const content = crypto.randomBytes(60_000);
  const { r } = aheadOf(t, 'b', content, 8 * 1024, 20);
  assert.ok((await untilZero((b) => r.read(b), 5)).equals(content));
});

test('bytes read after a 0 come after it, never before', async (t) => {
  const first = crypto.randomBytes(20_000);
  const second = crypto.randomBytes(30_000);
  const { file, r } = aheadOf(t, 'c', first, 64 * 1024, 10);
  // The first bytes arriving prove the worker runs (a loaded machine may start it late); then let
  // it read to the 0 at the file's end, and the second part land behind that 0 in the ring.
  const buf = Buffer.alloc(7000);
  const head = Buffer.from(buf.subarray(0, await r.read(buf)));
  assert.ok(head.length > 0);
  await new Promise((res) => setTimeout(res, 100));
  fs.appendFileSync(file, second);
  await new Promise((res) => setTimeout(res, 100));
  assert.ok(Buffer.concat([head, await untilZero((b) => r.read(b))]).equals(first), "the first host's bytes, then 0");
  assert.ok((await untilZero((b) => r.read(b))).equals(second), "the next host's bytes after it");
});

test('a ring size that is not a power of two is refused', () => {
  assert.throws(() => readAhead(0, { ringBytes: 10_000 }), /not a power of two/);
});

test('no thread to read on (it cannot start, or it dies): reads go on the thread pool, same bytes, same 0s', async (t) => {
  const first = crypto.randomBytes(50_000);
  const second = crypto.randomBytes(20_000);
  const cases: Array<[string, ReadAheadOptions['spawn']]> = [
    [
      'cannot start',
      () => {
        throw new Error('injected: no threads left');
      },
    ],
    ['dies at once', () => new Worker("throw new Error('injected: the reader died')", { eval: true })],
  ];
  for (const [name, spawn] of cases) {
    const logs: string[] = [];
    const { file, r } = aheadOf(t, `pool-${name.replace(/ /g, '-')}`, first, 16 * 1024, 10, {
      spawn,
      log: (l) => logs.push(l),
    });
    assert.ok((await untilZero((b) => r.read(b))).equals(first), `${name}: the bytes, then 0`);
    fs.appendFileSync(file, second);
    assert.ok((await untilZero((b) => r.read(b))).equals(second), `${name}: what came after the 0`);
    assert.match(logs.join('\n'), /virtio port reader failed: injected: .*; reading on the thread pool/, name);
  }
});

test('on the thread pool a port with no host is polled, not spun: one 0 per wait', async (t) => {
  const { r } = aheadOf(t, 'pool-idle', Buffer.alloc(0), 16 * 1024, 50, {
    spawn: () => {
      throw new Error('injected');
    },
  });
  const buf = Buffer.alloc(100);
  assert.equal(await r.read(buf), 0, 'the first 0 is passed on');
  const t0 = Date.now();
  const next = await Promise.race([r.read(buf), new Promise((res) => setTimeout(() => res('still waiting'), 300))]);
  assert.equal(next, 'still waiting', 'further 0s are not passed on');
  assert.ok(Date.now() - t0 >= 290);
});

test("the reading thread runs whatever module flags the agent's Node has (--input-type=module)", (t) => {
  const file = path.join(dir, 'flags');
  fs.writeFileSync(file, 'hello world');
  const script = `import fs from 'node:fs'; import { readAhead } from ${JSON.stringify(path.resolve('engine/transport/read-ahead.ts'))};
    const r = readAhead(fs.openSync(${JSON.stringify(file)}, 'r'), { log: (l) => console.log('LOG', l) });
    const b = Buffer.alloc(100); const n = await r.read(b); console.log('read', b.subarray(0, n).toString()); r.stop();`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.diagnostic(out.stderr);
  assert.equal(out.stdout.trim(), 'read hello world', 'read by the thread: no "reader failed" line');
});
