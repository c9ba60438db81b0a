// Joins two byte streams the way a socket between them would behave: each direction is piped
// with backpressure and carries its own end (a client that half-closes after sending its
// request still reads the whole reply), the pair is over only when both directions are done,
// and an error or abort on either side resets the other.
import type { Duplex } from 'node:stream';

export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const reset = (other: Duplex) => (): void => { if (!other.destroyed) other.destroy(); };
  a.on('error', reset(b));
  b.on('error', reset(a));
  // A side destroyed before both of its directions finished was aborted. (An ssh2 channel
  // emits 'close' without being destroyed while its last data is still buffered: not an abort.)
  const abortedClose = (side: Duplex, other: Duplex) => (): void => {
    if (side.destroyed && !(side.readableEnded && side.writableFinished)) reset(other)();
  };
  a.on('close', abortedClose(a, b));
  b.on('close', abortedClose(b, a));
}
