// Joins two byte streams the way a socket between them would behave: each direction is piped
// with backpressure and carries its own end (a client that half-closes after sending its
// request still reads the whole reply), the pair is over only when both directions are done,
// and an error or abort on either side resets the other.
//
// A client that closes its socket entirely (not a half-close) is passed on as a close, not as an
// EOF alone: what it sent is delivered, then the other end is closed fully at once, so the
// program there (dockerd following logs, an attach that reads no stdin) sees its peer gone now,
// not at its next write. A socket tells the two apart only when written to: once its reading
// side ends, a zero-length write fails (EPIPE) if the client closed, and succeeds if it only
// half-closed. A mux stream says so in its EOF (EOF_CLOSED: ./frames.ts).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { MuxStream } from './mux-stream.ts';

/** On a unix socket, errors that mean the client closed (with bytes unread), not that something failed. */
const GONE = new Set(['EPIPE', 'ECONNRESET']);

/** A unix socket (a TCP reset stays a reset: it is an abort there). */
const isUnix = (s: Duplex): s is net.Socket => s instanceof net.Socket && s.remoteAddress === undefined;

export function splice(a: Duplex, b: Duplex): void {
  const closed = new Set<Duplex>();
  const reset = (other: Duplex) => (): void => {
    if (!other.destroyed) other.destroy();
  };

  /** `from`'s client closed entirely: what it sent goes on into `to`, then `to` closes fully. */
  const closeFully = (from: Duplex, to: Duplex): void => {
    if (closed.has(from)) return;
    closed.add(from);
    if (to instanceof MuxStream) {
      to.closeAfterEnd();
    } else if (!to.destroyed) {
      // `from` (a mux stream whose peer closed) is released once `to` holds everything it sent.
      const done = (): void => {
        to.destroy();
        if (from instanceof MuxStream) from.release();
      };
      if (to.writableFinished) done();
      else {
        to.once('finish', done);
        if (!to.writableEnded && (from.readableEnded || from.destroyed)) to.end();
      }
    }
    if (!(from instanceof MuxStream) && !from.destroyed) from.destroy();
  };

  // Registered before the pipes, so they run before a pipe's own 'end' handling.
  const watch = (side: Duplex, other: Duplex): void => {
    // Asked now, while connected (a destroyed TCP socket no longer knows its peer's address).
    const unix = isUnix(side);
    if (side instanceof MuxStream) {
      side.once('peer-closed', () => closeFully(side, other));
    } else if (unix) {
      side.once('end', () => {
        if (side.destroyed || !side.writable) return;
        side.write(Buffer.alloc(0), (err) => {
          if (err) closeFully(side, other);
        });
      });
    }
    side.on('error', (e: NodeJS.ErrnoException) => {
      if (unix && GONE.has(e.code ?? '')) closeFully(side, other);
      else if (!closed.has(side)) reset(other)();
    });
    // A side destroyed before both of its directions finished was aborted. (An ssh2 channel
    // emits 'close' without being destroyed while its last data is still buffered: not an abort.)
    side.on('close', () => {
      if (closed.has(side)) return;
      if (side.destroyed && !(side.readableEnded && side.writableFinished)) reset(other)();
    });
  };
  watch(a, b);
  watch(b, a);
  a.pipe(b);
  b.pipe(a);
}
