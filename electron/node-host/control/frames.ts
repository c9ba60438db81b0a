// The control socket carries the contract's frames (electron/node-host/api/wire.ts) as JSON lines: one
// frame per line, each parsed and validated by whoever receives it.
import type net from 'node:net';

/** A frame line longer than this is refused: no answer or call is anywhere near it. */
const MAX_LINE = 16 << 20;

/** Calls onFrame with each line's JSON value (undefined when a line is not JSON). */
export function readFrames(socket: net.Socket, onFrame: (raw: unknown) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onFrame(parse(line));
    }
    if (buf.length > MAX_LINE) socket.destroy(new Error('frame too large'));
  });
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

export function writeFrame(socket: net.Socket, frame: unknown): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(frame)}\n`);
}
