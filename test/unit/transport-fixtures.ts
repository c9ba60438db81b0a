// Shared pieces of the transport tests: a real unix socket pair as the carrier, muxes on both
// ends, and small services to open streams to.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { Mux, type MuxOptions, type OpenHandler } from '../../engine/transport/mux.ts';

export function tmpSock(name = 's.sock'): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-mux-')), name);
}

/** Two connected unix sockets (what QEMU's chardev socket and the host process share). */
export async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const p = tmpSock();
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(p, r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const a = net.connect(p);
  await new Promise((r) => a.once('connect', r));
  const b = await accepted;
  server.close();
  return [a, b];
}

export interface MuxPair {
  host: Mux;
  guest: Mux;
  hostSock: net.Socket;
  guestSock: net.Socket;
  close(): void;
}

/** A host mux and a guest mux over one socket pair; the guest serves opens with `onOpen`. */
export async function muxPair(onOpen?: OpenHandler, opts: Partial<MuxOptions> = {}): Promise<MuxPair> {
  const [hostSock, guestSock] = await socketPair();
  const host = new Mux(hostSock, { ...opts, role: 'host' });
  const guest = new Mux(guestSock, { ...opts, role: 'guest', onOpen });
  return {
    host,
    guest,
    hostSock,
    guestSock,
    close: () => {
      host.close();
      guest.close();
    },
  };
}

/** A unix socket service; `serve` gets each connection (half-open allowed). */
export async function service(serve: (s: net.Socket) => void): Promise<{ path: string; close(): void }> {
  const p = tmpSock();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    serve(s);
  });
  await new Promise<void>((r) => server.listen(p, r));
  return { path: p, close: () => server.close() };
}

/** Connects to a unix socket once connected (as the guest's onOpen would). */
export function connectUnix(p: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: p, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything a stream delivers until its end. */
export function readAll(s: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

/** Resolves with the stream's error (rejects if it closes without one). */
export function errorOf(s: Duplex): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    s.once('error', resolve);
    s.once('close', () => setImmediate(() => reject(new Error('closed without an error'))));
  });
}

export const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));
