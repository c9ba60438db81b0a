// A symmetric stream multiplexer over one byte carrier (wire format: ./frames.ts). Either side
// may `open(target)` a stream; the other side serves it with its `onOpen` handler, whose Duplex
// the mux splices to the stream. The host end runs it over QEMU's unix socket, the guest end over
// the virtio-serial char device (engine/agent/vport-mux.ts).
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { splice } from './splice.ts';
import {
  FrameDecoder,
  FrameType,
  INITIAL_WINDOW,
  ProtocolError,
  credit,
  encode,
  encodeHello,
  header,
  parseHello,
  text,
  PROTOCOL_VERSION,
  type Frame,
} from './frames.ts';
import { MuxError, MuxStream, type StreamHost } from './mux-stream.ts';

export { MuxError, MuxStream };

/** Serves a stream the peer opens: resolves to what the stream is spliced to, or rejects why not. */
export type OpenHandler = (target: string) => Promise<Duplex>;

export interface MuxOptions {
  /** Which half of the stream ids this side opens: host odd, guest even. */
  role: 'host' | 'guest';
  onOpen?: OpenHandler;
  /** Receive window per stream, at least INITIAL_WINDOW (the rest is granted on open). */
  window?: number;
  /** How long open() waits for the peer's handshake and its OPEN_OK together. */
  openTimeoutMs?: number;
}

interface PendingOpen {
  stream: MuxStream;
  resolve: (s: MuxStream) => void;
  reject: (e: Error) => void;
}

const NO_SESSION = Buffer.alloc(8);
/** Bytes queued on the carrier before DATA waits for 'drain'. */
const CARRIER_QUEUE = 256 * 1024;

/**
 * Events: 'ready' (the peer acked this side's session: opens go out), 'peer-reset' (count: a new
 * peer session dropped that many streams), 'close' (err: why the mux is over; it never restarts).
 */
export class Mux extends EventEmitter implements StreamHost {
  private readonly decoder = new FrameDecoder();
  private readonly session = crypto.randomBytes(8);
  private peerSession: Buffer | null = null;
  private isReady = false;
  private closedBy: Error | null = null;
  private nextId: number;
  private readonly streams = new Map<number, MuxStream>();
  private readonly opening = new Map<number, PendingOpen>();
  private readonly accepting = new Map<number, { cancelled: boolean }>();
  private readonly wantSend = new Set<MuxStream>();
  private readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private pumping = false;
  private readonly window: number;
  private readonly openTimeoutMs: number;

  constructor(
    private readonly carrier: Duplex,
    private readonly opts: MuxOptions,
  ) {
    super();
    this.nextId = opts.role === 'host' ? 1 : 2;
    this.window = Math.max(INITIAL_WINDOW, opts.window ?? INITIAL_WINDOW);
    this.openTimeoutMs = opts.openTimeoutMs ?? 30_000;
    carrier.on('data', this.onChunk);
    carrier.on('drain', this.onDrain);
    carrier.on('end', this.onEnd);
    carrier.on('error', this.onError);
    carrier.on('close', this.onEnd);
    carrier.write(encodeHello(this.session, NO_SESSION));
  }

  /** True once the peer has acked this side's session. */
  get ready(): boolean {
    return this.isReady;
  }
  get closed(): boolean {
    return this.closedBy !== null;
  }
  /** Streams open or being opened, both directions. */
  get streamCount(): number {
    return this.streams.size + this.opening.size + this.accepting.size;
  }

  /** Opens a stream to `target` on the peer; rejects with the peer's reason, or if the mux ends. */
  async open(target: string): Promise<Duplex> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new MuxError(`open ${target}: no answer from the peer in ${this.openTimeoutMs} ms`, 'ERR_MUX_TIMEOUT'),
          ),
        this.openTimeoutMs,
      );
    });
    let id = 0;
    try {
      await Promise.race([this.whenReady(), timeout]);
      id = this.nextId;
      this.nextId = (this.nextId + 2) >>> 0;
      const stream = new MuxStream(this, id, target, this.window);
      const answered = new Promise<MuxStream>((resolve, reject) => this.opening.set(id, { stream, resolve, reject }));
      this.send(encode(FrameType.OPEN, id, text(target)));
      this.grantExtra(id);
      return await Promise.race([answered, timeout]);
    } catch (e) {
      // A late OPEN_OK for a stream nobody waits for any more is answered with RESET.
      if (id) this.opening.delete(id);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the mux: every stream and pending open fails with `reason`, the carrier is destroyed. */
  close(reason = 'multiplexer closed'): void {
    this.shutdown(new MuxError(reason, 'ERR_MUX_CLOSED'));
  }

  // ---- StreamHost ----

  pump(stream?: MuxStream): void {
    if (stream) this.wantSend.add(stream);
    if (this.pumping || this.closedBy) return;
    this.pumping = true;
    this.carrier.cork();
    try {
      let progress = true;
      while (progress && this.carrier.writableLength < CARRIER_QUEUE) {
        progress = false;
        for (const s of this.wantSend) {
          if (!s.sendable) {
            if (!s.hasPending) this.wantSend.delete(s);
            continue;
          }
          const { chunk, written } = s.nextChunk();
          this.carrier.write(header(FrameType.DATA, s.id, chunk.length));
          this.carrier.write(chunk);
          written?.();
          progress = true;
          if (this.carrier.writableLength >= CARRIER_QUEUE) break;
        }
      }
    } finally {
      this.pumping = false;
      this.carrier.uncork();
    }
  }

  sendEof(id: number, flags = 0): void {
    this.send(encode(FrameType.EOF, id, flags ? Buffer.from([flags]) : undefined));
  }
  sendWindow(id: number, bytes: number): void {
    this.send(encode(FrameType.WINDOW, id, credit(bytes)));
  }

  finished(id: number, reset: { reason: string } | null): void {
    const s = this.streams.get(id);
    if (s) this.wantSend.delete(s);
    this.streams.delete(id);
    if (reset) this.send(encode(FrameType.RESET, id, text(reset.reason)));
  }

  // ---- receiving ----

  private readonly onChunk = (chunk: Buffer): void => {
    if (this.closedBy) return;
    try {
      for (const f of this.decoder.push(chunk)) this.handle(f);
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err instanceof ProtocolError || err.code === 'ERR_MUX_PROTOCOL')
        this.shutdown(new MuxError(`protocol error: ${err.message}`, 'ERR_MUX_CLOSED'));
      else throw e;
    }
  };

  private handle(f: Frame): void {
    if (f.type === FrameType.HELLO) {
      this.onHello(f.payload);
      return;
    }
    const stream = this.streams.get(f.stream);
    switch (f.type) {
      case FrameType.OPEN:
        this.onOpenFrame(f.stream, f.payload.toString('utf8'));
        break;
      case FrameType.OPEN_OK:
        this.onOpenAnswer(f.stream, null);
        break;
      case FrameType.OPEN_FAIL:
        this.onOpenAnswer(f.stream, f.payload.toString('utf8') || 'refused');
        break;
      case FrameType.DATA:
        stream?.onData(f.payload);
        break;
      case FrameType.EOF:
        stream?.onEof(f.payload[0] ?? 0);
        break;
      case FrameType.WINDOW:
        if (f.payload.length !== 4) throw new ProtocolError('malformed WINDOW');
        if (stream) {
          stream.sendCredit += f.payload.readUInt32BE(0);
          this.pump(stream);
        }
        break;
      case FrameType.RESET:
        this.onReset(f.stream, f.payload.toString('utf8') || 'reset');
        break;
    }
  }

  private onHello(payload: Buffer): void {
    const hello = parseHello(payload);
    if (hello.version !== PROTOCOL_VERSION)
      throw new ProtocolError(`peer speaks protocol ${hello.version}, this side ${PROTOCOL_VERSION}`);
    if (!this.peerSession || !hello.session.equals(this.peerSession)) {
      // A new peer: whatever streams there were belong to a peer that is gone.
      const dropped = this.dropAll(new MuxError('the peer restarted', 'ECONNRESET'));
      if (this.peerSession) this.emit('peer-reset', dropped);
      this.peerSession = Buffer.from(hello.session);
      this.isReady = false;
      this.send(encodeHello(this.session, this.peerSession));
    }
    if (!this.isReady && hello.ack.equals(this.session)) {
      this.isReady = true;
      for (const w of this.readyWaiters.splice(0)) w.resolve();
      this.emit('ready');
    }
  }

  private onOpenFrame(id: number, target: string): void {
    const peerParity = this.opts.role === 'host' ? 0 : 1;
    if (id % 2 !== peerParity || this.streams.has(id) || this.accepting.has(id))
      throw new ProtocolError(`bad OPEN id ${id}`);
    const handler = this.opts.onOpen;
    if (!handler) {
      this.send(encode(FrameType.OPEN_FAIL, id, text('this side accepts no streams')));
      return;
    }
    const ticket = { cancelled: false };
    this.accepting.set(id, ticket);
    handler(target).then(
      (duplex) => {
        this.accepting.delete(id);
        if (ticket.cancelled || this.closedBy) {
          duplex.destroy();
          return;
        }
        const stream = new MuxStream(this, id, target, this.window);
        this.streams.set(id, stream);
        this.send(encode(FrameType.OPEN_OK, id));
        this.grantExtra(id);
        splice(stream, duplex);
      },
      (e: Error) => {
        this.accepting.delete(id);
        if (!ticket.cancelled && !this.closedBy) this.send(encode(FrameType.OPEN_FAIL, id, text(e.message)));
      },
    );
  }

  private onOpenAnswer(id: number, failure: string | null): void {
    const p = this.opening.get(id);
    if (!p) {
      if (failure === null) this.send(encode(FrameType.RESET, id, text('nobody waits for this stream')));
      return;
    }
    this.opening.delete(id);
    if (failure !== null) {
      p.reject(new MuxError(`cannot open ${p.stream.target}: ${failure}`, 'ERR_MUX_OPEN_FAILED'));
      return;
    }
    this.streams.set(id, p.stream);
    p.resolve(p.stream);
  }

  private onReset(id: number, reason: string): void {
    const ticket = this.accepting.get(id);
    if (ticket) ticket.cancelled = true;
    const p = this.opening.get(id);
    if (p) {
      this.opening.delete(id);
      p.reject(new MuxError(`cannot open ${p.stream.target}: ${reason}`, 'ERR_MUX_OPEN_FAILED'));
    }
    this.streams.get(id)?.abort(new MuxError(`stream reset by peer: ${reason}`, 'ECONNRESET'));
  }

  // ---- carrier and session ----

  private readonly onDrain = (): void => {
    this.pump();
  };
  private readonly onEnd = (): void => {
    this.shutdown(new MuxError('the carrier closed', 'ERR_MUX_CLOSED'));
  };
  private readonly onError = (e: Error): void => {
    this.shutdown(new MuxError(`the carrier failed: ${e.message}`, 'ERR_MUX_CLOSED'));
  };

  private whenReady(): Promise<void> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Fails every stream and pending open without a frame (the peer has no use for one). */
  private dropAll(err: MuxError): number {
    const n = this.streamCount;
    for (const t of this.accepting.values()) t.cancelled = true;
    this.accepting.clear();
    for (const p of this.opening.values()) p.reject(err);
    this.opening.clear();
    for (const s of [...this.streams.values()]) s.abort(err);
    this.streams.clear();
    this.wantSend.clear();
    return n;
  }

  private shutdown(err: MuxError): void {
    if (this.closedBy) return;
    this.closedBy = err;
    this.dropAll(err);
    for (const w of this.readyWaiters.splice(0)) w.reject(err);
    this.carrier.off('data', this.onChunk);
    this.carrier.off('drain', this.onDrain);
    this.carrier.off('end', this.onEnd);
    this.carrier.off('close', this.onEnd);
    // The carrier may still report an error after this; it has nobody else to tell.
    this.carrier.on('error', () => undefined);
    this.carrier.off('error', this.onError);
    this.carrier.destroy();
    this.emit('close', err);
  }

  /** Gives the peer the part of our receive window beyond the protocol's initial one. */
  private grantExtra(id: number): void {
    if (this.window > INITIAL_WINDOW) this.sendWindow(id, this.window - INITIAL_WINDOW);
  }

  private send(frame: Buffer): void {
    if (!this.closedBy && this.carrier.writable) this.carrier.write(frame);
  }
}
