// Writes a blocking fd on a thread of its own, from a ring the producer fills: the sending twin of
// ./read-ahead.ts.
//
// Why: each fs.write is a round trip through libuv's thread pool and a promise, and Linux's
// virtio_console takes at most 32 KiB per write(2). Under emulation that round trip bounded what
// the guest could send to the host (`docker cp` out, `docker save`, logs) to about 10 MB/s, and
// while one write was under way every frame behind it waited and went out merged with the next.
// Here a worker loops on writeSync from a SharedArrayBuffer ring: a frame alone is written as soon
// as it is queued (the worker wakes on Atomics), and frames that queued meanwhile go out together
// in writes of up to 32 KiB.
import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { sharedRing, startRingThread, waitAsync } from './read-ahead.ts';

// Int32 slots of the shared header; positions count bytes modulo 2^32 (the ring's size divides it).
const WRITE = 0; // bytes the producer has put in the ring
const READ = 1; // bytes the worker has written to the fd
const STOP = 2;
const SLOTS = 3;

/** virtio_console's largest write. */
export const MAX_WRITE = 32 * 1024;

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { fd, header, ring, maxWrite } = workerData;
const h = new Int32Array(header);
const data = new Uint8Array(ring);
const size = data.length;
let failures = 0;
while (Atomics.load(h, ${STOP}) === 0) {
  const r = Atomics.load(h, ${READ});
  const w = Atomics.load(h, ${WRITE});
  const avail = (w - r) | 0;
  // Waits on the value it saw: a write queued since then wakes it at once.
  if (avail === 0) { Atomics.wait(h, ${WRITE}, w, 1000); continue; }
  const at = (r >>> 0) % size;
  const n = Math.min(avail, size - at, maxWrite);
  let wrote;
  try {
    wrote = fs.writeSync(fd, data, at, n, null);
    failures = 0;
  } catch (e) {
    if (e.code === 'EAGAIN' || e.code === 'EINTR') continue;
    if (failures++ === 0) parentPort.postMessage('write failed: ' + e.message);
    wrote = n;
  }
  Atomics.store(h, ${READ}, (r + wrote) | 0);
  Atomics.notify(h, ${READ});
}
`;

export interface WriteBehind {
  /** Resolves once all of buf is in the ring (or written, without the thread); rejects when a write fails. */
  write(buf: Buffer): Promise<void>;
  stop(): void;
}

export interface WriteBehindOptions {
  ringBytes?: number;
  log?: (msg: string) => void;
  spawn?: (code: string, workerData: unknown) => Worker;
}

export function writeBehind(fd: number, opts: WriteBehindOptions = {}): WriteBehind {
  const size = opts.ringBytes ?? 1024 * 1024;
  const { header, ring, h, data } = sharedRing(size, SLOTS);
  // Without its thread, writes go to libuv's thread pool as before, after what the ring holds.
  let onPool = false;
  let stopped = false;
  const fallBack = (why: string): void => {
    if (onPool || stopped) return;
    onPool = true;
    opts.log?.(`virtio port writer failed: ${why}; writing on the thread pool`);
    Atomics.notify(h, READ);
  };
  const worker = startRingThread(WORKER, { fd, header, ring, maxWrite: MAX_WRITE }, opts, fallBack);

  const poolWrite = async (buf: Buffer): Promise<void> => {
    // position null: write(2) at the current position, never pwrite (ESPIPE on a char device).
    for (let off = 0; off < buf.length; ) {
      const chunk = buf.subarray(off, off + MAX_WRITE);
      off += await new Promise<number>((resolve, reject) =>
        fs.write(fd, chunk, 0, chunk.length, null, (e, n) => (e ? reject(e) : resolve(n))),
      );
    }
  };

  return {
    async write(buf) {
      let off = 0;
      while (off < buf.length) {
        if (onPool) {
          // What the ring holds goes first (the thread that wrote it is gone: write it here).
          const r = Atomics.load(h, READ),
            w = Atomics.load(h, WRITE);
          if (r !== w) {
            const at = (r >>> 0) % size,
              n = Math.min((w - r) | 0, size - at);
            await poolWrite(data.subarray(at, at + n));
            Atomics.store(h, READ, (r + n) | 0);
            continue;
          }
          await poolWrite(buf.subarray(off));
          return;
        }
        const w = Atomics.load(h, WRITE);
        const r = Atomics.load(h, READ);
        const free = size - ((w - r) | 0);
        if (free === 0) {
          const waited = waitAsync(h, READ, r, 1000);
          if (waited.async) await waited.value;
          continue;
        }
        const at = (w >>> 0) % size;
        const n = Math.min(free, size - at, buf.length - off);
        buf.copy(data, at, off, off + n);
        off += n;
        Atomics.store(h, WRITE, (w + n) | 0);
        Atomics.notify(h, WRITE);
      }
    },
    stop() {
      stopped = true;
      Atomics.store(h, STOP, 1);
      Atomics.notify(h, WRITE);
      void worker?.terminate();
    },
  };
}
