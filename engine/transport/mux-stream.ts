// One stream of the multiplexer, as a Node Duplex that behaves like a socket: each direction ends
// on its own (half-close), the stream closes once both have, writes wait for the peer's WINDOW
// credit, and received bytes are credited back only as the reader takes them.
import { Duplex } from 'node:stream';
import { EOF_CLOSED, INITIAL_WINDOW, MAX_PAYLOAD } from './frames.ts';

/** What a stream needs from its multiplexer. */
export interface StreamHost {
  /** Sends the stream's queued DATA (and others') while credit and the carrier allow. */
  pump(stream: MuxStream): void;
  /** Sends EOF for the stream (its writes are all on the wire), with EOF_CLOSED when its client closed. */
  sendEof(id: number, flags?: number): void;
  /** Returns `bytes` of receive credit to the peer. */
  sendWindow(id: number, bytes: number): void;
  /** The stream is over: forgets the id, and sends RESET when it was aborted on this side. */
  finished(id: number, reset: { reason: string } | null): void;
}

interface Pending {
  buf: Buffer;
  cb: (err?: Error | null) => void;
}

export type MuxErrorCode =
  | 'ECONNRESET'
  | 'ERR_MUX_CLOSED'
  | 'ERR_MUX_OPEN_FAILED'
  | 'ERR_MUX_TIMEOUT'
  | 'ERR_MUX_PROTOCOL'
  | 'ERR_STREAM_DESTROYED';

/** Every error the mux and its streams report; `code` says which case it is. */
export class MuxError extends Error {
  constructor(
    message: string,
    readonly code: MuxErrorCode,
  ) {
    super(message);
  }
}

export class MuxStream extends Duplex {
  /** Bytes we may still send before the peer credits more. */
  sendCredit = INITIAL_WINDOW;
  private pending: Pending[] = [];
  private inbox: Buffer[] = [];
  private inboxEnded = false;
  private uncredited = 0;
  /** Bytes received and not yet credited back: the peer may never exceed the window. */
  private inflight = 0;
  /** The reader asked for data (_read) and has not been handed a full buffer since. */
  private wanted = false;
  private silent = false;
  /** This side's client closed entirely: the EOF says so (closeAfterEnd). */
  private closing = false;
  /** The EOF went out with these flags (null: not yet). */
  private eofFlags: number | null = null;
  /** The peer's client closed entirely (an EOF with EOF_CLOSED came): emitted as 'peer-closed'. */
  peerClosed = false;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    readonly target: string,
    private readonly window = INITIAL_WINDOW,
  ) {
    super({ allowHalfOpen: true });
  }

  // ---- sending (called by the mux's pump) ----

  /** True while it has DATA to send and credit to send it with. */
  get sendable(): boolean {
    return this.pending.length > 0 && this.sendCredit > 0;
  }
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /**
   * The next DATA payload (at most `MAX_PAYLOAD` and the credit), taken off the queue, and the
   * write callback to run once it is on the carrier (not before: the callback may end the stream,
   * and its EOF must follow the data).
   */
  nextChunk(): { chunk: Buffer; written: (() => void) | null } {
    const p = this.pending[0] as Pending;
    const n = Math.min(p.buf.length, this.sendCredit, MAX_PAYLOAD);
    const chunk = p.buf.subarray(0, n);
    this.sendCredit -= n;
    if (n < p.buf.length) {
      p.buf = p.buf.subarray(n);
      return { chunk, written: null };
    }
    this.pending.shift();
    return { chunk, written: () => p.cb() };
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (chunk.length === 0) {
      cb();
      return;
    }
    this.pending.push({ buf: chunk, cb });
    this.host.pump(this);
  }

  override _final(cb: (err?: Error | null) => void): void {
    // Every write callback has run, so every byte is on the carrier before this EOF.
    this.eofFlags = this.closing ? EOF_CLOSED : 0;
    this.host.sendEof(this.id, this.eofFlags);
    cb();
  }

  /**
   * The client this stream carries closed its socket entirely (not a half-close): ends this
   * direction after what is queued, tells the peer to close its end fully (EOF_CLOSED), and lets
   * go of the stream without a RESET (nothing the peer sends could be read).
   */
  closeAfterEnd(): void {
    if (this.destroyed) return;
    this.closing = true;
    const done = (): void => {
      // Ended just before (a plain EOF is out): the close follows it.
      if (this.eofFlags === 0) this.host.sendEof(this.id, EOF_CLOSED);
      this.silent = true;
      this.destroy();
    };
    if (this.writableFinished) {
      done();
      return;
    }
    this.once('finish', done);
    if (!this.writableEnded) this.end();
  }

  // ---- receiving (called by the mux) ----

  onData(payload: Buffer): void {
    if (this.inboxEnded) throw new MuxError(`DATA after EOF on stream ${this.id}`, 'ERR_MUX_PROTOCOL');
    this.inflight += payload.length;
    if (this.inflight > this.window)
      throw new MuxError(`stream ${this.id}: peer overran its window`, 'ERR_MUX_PROTOCOL');
    this.inbox.push(payload);
    this.drainInbox();
  }

  onEof(flags = 0): void {
    this.inboxEnded = true;
    if (flags & EOF_CLOSED && !this.peerClosed) {
      this.peerClosed = true;
      this.emit('peer-closed');
    }
    this.drainInbox();
  }

  /** Lets go after the peer closed entirely: no RESET (the peer has forgotten the stream). */
  release(): void {
    this.silent = true;
    this.destroy();
  }

  /** The peer reset the stream (or went away): aborts both directions without a RESET back. */
  abort(err: MuxError): void {
    this.silent = true;
    this.destroy(err);
  }

  override _read(): void {
    this.wanted = true;
    this.drainInbox();
  }

  /** Hands buffered bytes to the reader while it wants them, crediting what it took. */
  private drainInbox(): void {
    while (this.wanted && this.inbox.length > 0) {
      const b = this.inbox.shift() as Buffer;
      this.uncredited += b.length;
      // false: the reader's buffer is full; Node calls _read when it wants more.
      this.wanted = this.push(b);
    }
    if (this.inbox.length === 0 && this.inboxEnded) this.push(null);
    // Batched: one WINDOW per half window taken keeps the frame count low without stalling.
    if (this.uncredited >= this.window / 2 && !this.destroyed) {
      this.host.sendWindow(this.id, this.uncredited);
      this.inflight -= this.uncredited;
      this.uncredited = 0;
    }
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    const clean = this.readableEnded && this.writableFinished;
    const reason = err?.message ?? 'stream destroyed';
    for (const p of this.pending.splice(0)) p.cb(err ?? new MuxError(reason, 'ERR_STREAM_DESTROYED'));
    this.host.finished(this.id, clean || this.silent ? null : { reason });
    cb(err);
  }
}
