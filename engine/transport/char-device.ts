// The guest's end of a virtio-serial port as a series of carriers, one per host connection.
//
// Why plain fs reads and writes on a blocking fd: Node's net.Socket({ fd }) refuses a char device
// (libuv calls it UNKNOWN, not a pipe), and tty.ReadStream wants a tty. Reads run on a thread of
// their own, ahead of the mux (./read-ahead.ts: the device gives 4 KiB per read); writes on a thread
// of their own too, behind it (./write-behind.ts: the device takes 32 KiB per write). A blocking fd
// never spins.
// Linux's virtio_console then says what we need to know: read() returns 0 while no host process
// holds the port's socket (before the first connection, or after the host went away), and blocks
// while one does; write() blocks until a host is there. So a read of 0 ends the current carrier,
// the next bytes read start a new one, and the mux on it hunts for the new host's HELLO. The port
// can be open only once (EBUSY), so the same fd serves every session.
import { Duplex } from 'node:stream';
import { readAhead } from './read-ahead.ts';
import { writeBehind } from './write-behind.ts';

/** Reads and writes on the port; read resolves 0 while no host is connected. */
export interface PortIo {
  read(buf: Buffer): Promise<number>;
  /** Writes some of buf (a writer thread takes all of it) and resolves how much. */
  write(buf: Buffer): Promise<number>;
  /** Lets go of what reads the port (a thread). */
  stop?(): void;
}

export function fdIo(fd: number, log?: (msg: string) => void): PortIo {
  const reader = readAhead(fd, { log });
  const writer = writeBehind(fd, { log });
  return {
    read: (buf) => reader.read(buf),
    write: async (buf) => {
      await writer.write(buf);
      return buf.length;
    },
    stop: () => {
      reader.stop();
      writer.stop();
    },
  };
}

interface Job {
  buf: Buffer;
  cb: (err?: Error | null) => void;
}

/** One writer for the fd across sessions, so a new session's bytes never interleave with an old one's. */
class SerialWriter {
  private queue: Job[] = [];
  private busy = false;

  constructor(private readonly io: PortIo) {}

  enqueue(buf: Buffer, cb: (err?: Error | null) => void): void {
    this.queue.push({ buf, cb });
    if (!this.busy) void this.run();
  }

  /** Fails what has not started; the write under way finishes (the new host skips it while hunting). */
  dropQueued(err: Error): void {
    for (const j of this.queue.splice(0)) j.cb(err);
  }

  private async run(): Promise<void> {
    this.busy = true;
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      try {
        // virtio_console takes at most 32 KiB per write(2): write the rest until done.
        for (let off = 0; off < job.buf.length; ) off += await this.io.write(off ? job.buf.subarray(off) : job.buf);
        job.cb();
      } catch (e) {
        job.cb(e as Error);
      }
    }
    this.busy = false;
  }
}

export interface PortSessionsOptions {
  /** How often to look again while no host is connected. */
  pollMs?: number;
  /** Largest single read. */
  readBytes?: number;
  log?: (msg: string) => void;
}

/**
 * Reads the port for ever and hands `onSession` a fresh carrier Duplex per host connection (one
 * at start, in case a host is already there). A carrier ends when the host goes away; destroying
 * one (say, after a protocol error) starts the next at once.
 */
export class PortSessions {
  private readonly writer: SerialWriter;
  private carrier: Duplex | null = null;
  private stopped = false;
  private readonly pollMs: number;
  private readonly readBytes: number;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly io: PortIo,
    private readonly onSession: (carrier: Duplex) => void,
    opts: PortSessionsOptions = {},
  ) {
    this.writer = new SerialWriter(io);
    this.pollMs = opts.pollMs ?? 250;
    this.readBytes = opts.readBytes ?? 256 * 1024;
    this.log = opts.log ?? (() => undefined);
    this.begin();
    void this.readLoop();
  }

  /** Stops reading after the read under way (which may block until the host sends). */
  stop(): void {
    this.stopped = true;
    this.io.stop?.();
    this.carrier?.destroy();
  }

  private begin(): Duplex {
    const writer = this.writer;
    const carrier: Duplex = new Duplex({
      read() {
        /* data is pushed as it is read; the mux's windows bound it */
      },
      write(chunk: Buffer, _enc, cb) {
        writer.enqueue(chunk, cb);
      },
      writev(chunks, cb) {
        writer.enqueue(Buffer.concat(chunks.map((c) => c.chunk as Buffer)), cb);
      },
      final(cb) {
        cb();
      },
    });
    carrier.on('close', () => {
      if (this.carrier !== carrier) return;
      this.carrier = null;
      writer.dropQueued(new Error('session over'));
      if (!this.stopped) this.begin();
    });
    this.carrier = carrier;
    this.onSession(carrier);
    return carrier;
  }

  private async readLoop(): Promise<void> {
    let failures = 0;
    const buf = Buffer.allocUnsafe(this.readBytes);
    while (!this.stopped) {
      let n: number;
      try {
        n = await this.io.read(buf);
        failures = 0;
      } catch (e) {
        if (failures++ === 0) this.log(`virtio port read failed: ${(e as Error).message}`);
        n = 0;
      }
      if (this.stopped) break;
      if (n === 0) {
        this.hostGone();
        await new Promise((r) => setTimeout(r, this.pollMs));
        continue;
      }
      (this.carrier ?? this.begin()).push(Buffer.from(buf.subarray(0, n)));
    }
  }

  /** No host: the session ends (its mux fails every stream); the next bytes start another. */
  private hostGone(): void {
    const c = this.carrier;
    if (!c) return;
    this.carrier = null;
    this.writer.dropQueued(new Error('the host went away'));
    c.push(null);
    c.destroy();
  }
}
