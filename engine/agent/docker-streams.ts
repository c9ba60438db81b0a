// `docker events` streams relayed to dockerd, ended by the agent when dockerd restarts.
//
// Why: once its containers are stopped, dockerd's shutdown waits up to 5 s (Go's
// http.Server.Shutdown timeout) for requests still open, and an events stream never ends on its
// own. Every store switch paid those 5 s for the dashboard's and the port forwarder's streams,
// and a user's `docker events` (or an IDE that follows events) would cost the same. Ending them
// as the restart begins is what dockerd does 5 s later anyway: the client sees its stream end.
import type { Readable } from 'node:stream';

/** The request line of an events stream, with or without the API version prefix. */
const EVENTS_REQUEST = /^GET \/(?:v\d+(?:\.\d+)?\/)?events(?:[?# ]|$)/;

export interface EndableSocket {
  destroyed: boolean;
  destroy(): void;
  once(event: 'close', fn: () => void): unknown;
}

export class DockerStreams {
  private readonly events = new Set<EndableSocket>();
  private restarts = 0;

  /**
   * Watches what the host sends on one relayed docker.sock connection: a chunk that starts an
   * events request marks it (HTTP clients write a request's head in one piece).
   */
  watch(request: Readable, sock: EndableSocket): void {
    sock.once('close', () => this.events.delete(sock));
    request.on('data', (chunk: Buffer) => {
      if (sock.destroyed || !EVENTS_REQUEST.test(chunk.subarray(0, 64).toString('latin1'))) return;
      // Subscribed while dockerd goes down: it would hold the shutdown just the same.
      if (this.restarts > 0) {
        sock.destroy();
        return;
      }
      this.events.add(sock);
    });
  }

  /** Runs a dockerd restart with no events stream holding it up; streams opened meanwhile end at once. */
  async duringRestart<T>(restart: () => Promise<T>): Promise<T> {
    this.restarts++;
    try {
      for (const s of this.events) s.destroy();
      this.events.clear();
      return await restart();
    } finally {
      this.restarts--;
    }
  }

  /** Events streams open now (for tests and diagnostics). */
  get open(): number {
    return this.events.size;
  }
}

/** The agent's one registry: the mux relay watches, dockerd restarts end. */
export const dockerStreams = new DockerStreams();
