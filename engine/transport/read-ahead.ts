// Reads a blocking fd ahead of its consumer, on a thread of its own, into a ring the consumer
// empties in large pieces.
//
// Why: Linux's virtio_console hands the guest at most one 4 KiB buffer per read(2), and each
// fs.read is a round trip through libuv's thread pool and a promise. Under emulation that round
// trip, not the copy, bounded what the host could send into the VM (build contexts, `docker cp`
// in). Here a worker loops on readSync into a SharedArrayBuffer ring and wakes the consumer with
// Atomics; a consumer busy elsewhere finds many reads waiting and takes them in one copy.
//
// A read of 0 (the device's "no host is connected") is passed on in order: the consumer gets
// every byte read before it, then 0, then what came after; 0s with no byte between them are one.
// The worker waits while the ring is full.
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

// Int32 slots of the shared header. Positions count bytes modulo 2^32 (the ring's size divides it).
const WRITE = 0; // bytes the worker has put in the ring
const READ = 1; // bytes the consumer has taken
const GONE = 2; // 1 while a read of 0 waits to be taken, at position GONE_AT
const GONE_AT = 3;
const SEQ = 4; // bumped on every change the consumer waits for
const STOP = 5;
const SLOTS = 6;

/** The worker's code: plain JS, as it runs from a string (the agent is one bundled file). */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { fd, header, ring, pollMs } = workerData;
const h = new Int32Array(header);
const data = new Uint8Array(ring);
const size = data.length;
const sleep = new Int32Array(new SharedArrayBuffer(4));
const bump = () => { Atomics.add(h, ${SEQ}, 1); Atomics.notify(h, ${SEQ}); };
let failures = 0;
let zeroAt = null;
while (Atomics.load(h, ${STOP}) === 0) {
  const w = Atomics.load(h, ${WRITE});
  const r = Atomics.load(h, ${READ});
  let free = size - ((w - r) | 0);
  // Waits on the value it saw: a take since then wakes it at once.
  if (free === 0) { Atomics.wait(h, ${READ}, r, 1000); continue; }
  const at = (w >>> 0) % size;
  let n;
  try {
    n = fs.readSync(fd, data, at, Math.min(free, size - at), null);
    failures = 0;
  } catch (e) {
    if (failures++ === 0) parentPort.postMessage('read failed: ' + e.message);
    n = 0;
  }
  if (n > 0) { Atomics.store(h, ${WRITE}, (w + n) | 0); bump(); continue; }
  // The 0s of one wait for a host are one 0: passed on once, after the bytes before it. One at a
  // time: the last must have been taken before this one is marked where it falls.
  if (zeroAt !== w) {
    while (Atomics.load(h, ${GONE}) === 1 && Atomics.load(h, ${STOP}) === 0) Atomics.wait(h, ${GONE}, 1, 1000);
    Atomics.store(h, ${GONE_AT}, w);
    Atomics.store(h, ${GONE}, 1);
    bump();
    zeroAt = w;
  }
  Atomics.wait(sleep, 0, 0, pollMs);
}
`;

/** Atomics.waitAsync (ES2024; Node has it, this project's TypeScript lib does not name it yet). */
export const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      index: number,
      value: number,
      timeout?: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

export interface ReadAhead {
  /** Copies what is there into buf (waiting for something); 0: the device read 0 at this point. */
  read(buf: Buffer): Promise<number>;
  /** The worker stops after the read under way (which may block until the device has data). */
  stop(): void;
}

export interface ReadAheadOptions {
  /** Ring size, a power of two. */
  ringBytes?: number;
  /** How long the worker waits after a read of 0 before reading again. */
  pollMs?: number;
  log?: (msg: string) => void;
  /** Starts the reading thread (tests make it fail). */
  spawn?: (code: string, workerData: unknown) => Worker;
}

// execArgv []: the code is a CommonJS script, whatever flags (--input-type=module) the agent ran with.
const spawnWorker = (code: string, workerData: unknown): Worker =>
  new Worker(code, { eval: true, workerData, execArgv: [] });

/** A ring of `size` bytes (a power of two of at least 4096) and its shared header of `slots` Int32s. */
export function sharedRing(
  size: number,
  slots: number,
): { header: SharedArrayBuffer; ring: SharedArrayBuffer; h: Int32Array; data: Buffer } {
  if (size < 4096 || (size & (size - 1)) !== 0)
    throw new RangeError(`ring size ${size} is not a power of two of at least 4096`);
  const header = new SharedArrayBuffer(slots * 4);
  const ring = new SharedArrayBuffer(size);
  return { header, ring, h: new Int32Array(header), data: Buffer.from(ring) };
}

/** Starts a ring's thread (unref'd, its messages logged); `fallBack(why)` when it cannot start or dies. */
export function startRingThread(
  code: string,
  workerData: unknown,
  opts: { log?: (msg: string) => void; spawn?: (code: string, workerData: unknown) => Worker },
  fallBack: (why: string) => void,
): Worker | null {
  try {
    const worker = (opts.spawn ?? spawnWorker)(code, workerData);
    worker.unref();
    worker.on('message', (m: string) => opts.log?.(`virtio port ${m}`));
    worker.on('error', (e) => fallBack(e.message));
    worker.on('exit', (n) => fallBack(`its thread exited (${n})`));
    return worker;
  } catch (e) {
    fallBack((e as Error).message);
    return null;
  }
}

export function readAhead(fd: number, opts: ReadAheadOptions = {}): ReadAhead {
  const size = opts.ringBytes ?? 1024 * 1024;
  const { header, ring, h, data } = sharedRing(size, SLOTS);
  const pollMs = opts.pollMs ?? 250;
  // Without its thread (none could start, or it died) the port is read on libuv's thread pool, one
  // read per call as before the read-ahead: slower, never stuck. What the ring holds goes first.
  let onPool = false;
  let stopped = false;
  const fallBack = (why: string): void => {
    if (onPool || stopped) return;
    onPool = true;
    opts.log?.(`virtio port reader failed: ${why}; reading on the thread pool`);
    Atomics.add(h, SEQ, 1);
    Atomics.notify(h, SEQ);
  };
  const worker = startRingThread(WORKER, { fd, header, ring, pollMs }, opts, fallBack);
  const poolRead = poolReader(fd, pollMs, () => stopped, opts.log);

  const take = (buf: Buffer): number => {
    const r = Atomics.load(h, READ);
    let avail = (Atomics.load(h, WRITE) - r) | 0;
    if (Atomics.load(h, GONE) === 1) {
      const before = (Atomics.load(h, GONE_AT) - r) | 0;
      if (before === 0) {
        Atomics.store(h, GONE, 0);
        Atomics.notify(h, GONE);
        return 0;
      }
      avail = before;
    }
    const at = (r >>> 0) % size;
    const n = Math.min(avail, buf.length, size - at);
    data.copy(buf, 0, at, at + n);
    Atomics.store(h, READ, (r + n) | 0);
    Atomics.notify(h, READ);
    return n;
  };

  return {
    async read(buf) {
      for (;;) {
        const seq = Atomics.load(h, SEQ);
        if (Atomics.load(h, WRITE) !== Atomics.load(h, READ) || Atomics.load(h, GONE) === 1) return take(buf);
        if (onPool) return poolRead(buf);
        const waited = waitAsync(h, SEQ, seq);
        if (waited.async) await waited.value;
      }
    },
    stop() {
      stopped = true;
      Atomics.store(h, STOP, 1);
      Atomics.notify(h, READ);
      Atomics.notify(h, GONE);
      void worker?.terminate();
    },
  };
}

/** Reads on the thread pool, with the worker's rules for 0: one per wait for a host, polled. */
function poolReader(
  fd: number,
  pollMs: number,
  stopped: () => boolean,
  log?: (msg: string) => void,
): (buf: Buffer) => Promise<number> {
  let lastWasZero = false;
  let failed = false;
  const once = (buf: Buffer): Promise<number> =>
    new Promise((resolve) =>
      fs.read(fd, buf, 0, buf.length, null, (e, n) => {
        if (e && !failed) {
          failed = true;
          log?.(`virtio port read failed: ${e.message}`);
        }
        if (!e) failed = false;
        resolve(e ? 0 : n);
      }),
    );
  return async (buf) => {
    for (;;) {
      const n = await once(buf);
      if (n > 0 || !lastWasZero || stopped()) {
        lastWasZero = n === 0;
        return n;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
}
