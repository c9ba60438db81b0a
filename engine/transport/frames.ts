// The wire format of the Berth stream multiplexer: many byte streams over one ordered, reliable
// byte carrier (the virtio-serial port "berth.mux" between host and guest, or any Duplex).
//
// Frame: a 9-byte header, then `length` payload bytes.
//
//   offset 0  u8      type
//   offset 1  u32 BE  stream id (0 for HELLO; odd ids are opened by the host, even by the guest)
//   offset 5  u32 BE  payload length (at most MAX_PAYLOAD; more is a protocol error)
//
// Types:
//   HELLO      stream 0. payload: "BERTHMUX", u8 version, 8-byte session (random per session),
//              8-byte ack (the peer session last seen, zeros for none). A side sends HELLO when it
//              starts on a carrier. A HELLO naming a session not seen before means the peer is new
//              (host process or VM restarted): every stream is dropped without a word and a HELLO
//              acking that session is sent back. A side opens streams only once the peer has acked
//              its current session, so frames of an earlier session can never reach a new stream.
//              Until the first HELLO, a receiver discards bytes (hunting for the HELLO pattern):
//              a carrier may hand over the tail of a frame a dead peer began.
//   OPEN       payload: utf-8 target, e.g. "unix:/run/docker.sock" or "tcp:127.0.0.1:8080".
//   OPEN_OK    the stream is connected; both sides may send DATA.
//   OPEN_FAIL  payload: utf-8 reason. The id is not used again.
//   DATA       payload: stream bytes (1..MAX_PAYLOAD).
//   EOF        the sender's direction has ended (half-close); the other direction goes on. A stream
//              is over, and its id forgotten, once EOF has gone both ways. payload: empty, or one
//              flags byte: EOF_CLOSED (the sender's client closed its socket entirely, so nothing
//              sent its way can be read: the receiver delivers what came before, then closes its
//              end fully, as a socket's peer sees a close). Both sides forget the id after it; an
//              EOF_CLOSED may follow a plain EOF.
//   RESET      abort, both directions, now. payload: optional utf-8 reason.
//   WINDOW     payload: u32 BE credit. Flow control: a sender may have at most INITIAL_WINDOW bytes
//              of DATA per stream that the receiver has not credited back; the receiver credits
//              bytes as its reader takes them. A slow reader thus stalls only its own stream, and
//              a receiver never buffers more than the window per stream. A receiver may grant more
//              than INITIAL_WINDOW by sending WINDOW right after OPEN / OPEN_OK.
//
// Frames for a stream id the receiver does not know (already over, or of an old session) are
// dropped. Anything else malformed is a protocol error: the session ends.

export const FrameType = {
  HELLO: 1,
  OPEN: 2,
  OPEN_OK: 3,
  OPEN_FAIL: 4,
  DATA: 5,
  EOF: 6,
  RESET: 7,
  WINDOW: 8,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const HEADER_BYTES = 9;
export const MAX_PAYLOAD = 64 * 1024;
export const INITIAL_WINDOW = 256 * 1024;
export const MAX_TEXT = 4096;
export const PROTOCOL_VERSION = 1;
/** EOF flag: the sender no longer reads (its client closed, not just half-closed). */
export const EOF_CLOSED = 1;
const MAGIC = Buffer.from('BERTHMUX', 'latin1');
const HELLO_PAYLOAD = MAGIC.length + 1 + 8 + 8;

export interface Frame {
  type: FrameType;
  stream: number;
  payload: Buffer;
}
export interface Hello {
  version: number;
  session: Buffer;
  ack: Buffer;
}

export class ProtocolError extends Error {
  readonly code = 'ERR_MUX_PROTOCOL';
}

export function header(type: FrameType, stream: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(stream >>> 0, 1);
  h.writeUInt32BE(length, 5);
  return h;
}

/** One frame as a single buffer (control frames; DATA is written as header + payload slice). */
export function encode(type: FrameType, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`frame payload ${payload.length} > ${MAX_PAYLOAD}`);
  return Buffer.concat([header(type, stream, payload.length), payload]);
}

export function text(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return b.length > MAX_TEXT ? b.subarray(0, MAX_TEXT) : b;
}

export function credit(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

export function encodeHello(session: Buffer, ack: Buffer): Buffer {
  return encode(FrameType.HELLO, 0, Buffer.concat([MAGIC, Buffer.from([PROTOCOL_VERSION]), session, ack]));
}

export function parseHello(payload: Buffer): Hello {
  if (payload.length !== HELLO_PAYLOAD || !payload.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtocolError('malformed HELLO');
  }
  const v = MAGIC.length;
  return { version: payload[v] ?? 0, session: payload.subarray(v + 1, v + 9), ack: payload.subarray(v + 9, v + 17) };
}

/** What every HELLO frame starts with: the pattern a hunting decoder looks for. */
const HELLO_PREFIX = Buffer.concat([header(FrameType.HELLO, 0, HELLO_PAYLOAD), MAGIC]);

/**
 * Turns carrier bytes, split anywhere, into frames. Starts hunting: bytes before the first HELLO
 * pattern are discarded.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  private hunting = true;
  /** Bytes thrown away while hunting (for logs and tests). */
  discarded = 0;

  /** Feeds a chunk; returns the complete frames it finished. Throws ProtocolError. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    if (this.hunting && !this.hunt()) return [];
    const frames: Frame[] = [];
    while (this.size >= HEADER_BYTES) {
      const h = this.peek(HEADER_BYTES);
      const type = h.readUInt8(0);
      const length = h.readUInt32BE(5);
      if (type < FrameType.HELLO || type > FrameType.WINDOW) throw new ProtocolError(`unknown frame type ${type}`);
      if (length > MAX_PAYLOAD) throw new ProtocolError(`frame length ${length} > ${MAX_PAYLOAD}`);
      if (this.size < HEADER_BYTES + length) break;
      this.take(HEADER_BYTES);
      frames.push({ type: type as FrameType, stream: h.readUInt32BE(1), payload: this.take(length) });
    }
    return frames;
  }

  /** Drops bytes up to the first HELLO pattern; true once found. */
  private hunt(): boolean {
    const all = this.peek(this.size);
    const at = all.indexOf(HELLO_PREFIX);
    const drop = at >= 0 ? at : Math.max(0, all.length - (HELLO_PREFIX.length - 1));
    this.discarded += drop;
    this.chunks = all.length > drop ? [all.subarray(drop)] : [];
    this.size = all.length - drop;
    if (at >= 0) this.hunting = false;
    return !this.hunting;
  }

  /** The first n buffered bytes, copied only when they span chunks. */
  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.chunks, this.size);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const out = this.peek(n);
    const first = this.chunks[0] as Buffer;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.size -= n;
    return out;
  }
}
