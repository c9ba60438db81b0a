// Stream multiplexer benchmark: prints MB/s, asserts nothing. The same download (a unix socket
// service sending N MiB) read over a plain unix socket and through the mux (host mux → unix socket
// carrier → guest mux → the service), one stream and several at once, in one process.
import net from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { connectUnix, muxPair, service } from '../../test/unit/transport-fixtures.ts';

const MB = 1e6;
const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** Sends `bytes` in 64 KiB writes with backpressure, then ends. */
async function send(s: net.Socket, bytes: number): Promise<void> {
  for (let left = bytes; left > 0; left -= CHUNK.length) {
    if (!s.write(left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left))) await new Promise((r) => s.once('drain', r));
  }
  s.end();
}

/** Reads a stream to its end; resolves with the byte count. */
function drain(s: Duplex): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    s.on('data', (d: Buffer) => {
      n += d.length;
    });
    s.once('end', () => {
      s.end();
      resolve(n);
    });
    s.once('error', reject);
  });
}

async function timed(streams: number, open: () => Promise<Duplex>, bytesEach: number): Promise<number> {
  const t0 = performance.now();
  const got = await Promise.all(Array.from({ length: streams }, async () => drain(await open())));
  const ms = performance.now() - t0;
  const total = got.reduce((a, b) => a + b, 0);
  if (total !== streams * bytesEach) throw new Error(`got ${total} bytes, expected ${streams * bytesEach}`);
  return total / MB / (ms / 1000);
}

export async function bench(mib = Number(process.env.BERTH_MUX_BENCH_MIB ?? 256)): Promise<void> {
  for (const streams of [1, 4]) {
    const each = Math.round((mib * MiB) / streams);
    const source = await service((s) => {
      s.resume();
      void send(s, each);
    });
    const m = await muxPair(() => connectUnix(source.path));
    try {
      const plain = await timed(streams, () => connectUnix(source.path), each);
      const muxed = await timed(streams, () => m.host.open('source'), each);
      console.log(
        `${streams} stream${streams > 1 ? 's' : ''}, ${mib} MiB: plain unix socket ${plain.toFixed(0)} MB/s, ` +
          `mux ${muxed.toFixed(0)} MB/s (ratio ${(muxed / plain).toFixed(2)})`,
      );
    } finally {
      m.close();
      source.close();
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bench();
