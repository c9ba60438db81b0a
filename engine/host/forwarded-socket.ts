// A unix socket on the host (mode 0600) that stands for a socket in the VM. It listens for as
// long as the host runs the engine, so a client never hangs on a half-gone link: while the
// engine is down or its link is being replaced, each connection gets a clear refusal right away.
import fs from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { splice } from '../transport/splice.ts';

/** Opens one stream to the socket's peer in the VM. */
export type OpenStream = () => Promise<Duplex>;
/** Answers a client whose connection cannot be carried, saying why. */
export type Refuse = (local: net.Socket, why: string) => void;

export class ForwardedSocket {
  private server: net.Server | null = null;
  private open: OpenStream | null = null;
  private down = 'the engine is not running';

  constructor(
    readonly hostPath: string,
    private readonly refuse: Refuse = (local) => local.destroy(),
  ) {}

  get listening(): boolean {
    return this.server !== null;
  }

  async listen(): Promise<void> {
    if (this.server) return;
    fs.rmSync(this.hostPath, { force: true });
    // Half-open: a client that ends its side (the docker CLI does once stdin is done) keeps
    // reading until the VM's side ends.
    const server = net.createServer({ allowHalfOpen: true }, (local) => this.accept(local));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.hostPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(this.hostPath, 0o600);
    this.server = server;
  }

  /** Carries connections from now on. */
  connect(open: OpenStream): void {
    this.open = open;
  }

  /** Refuses connections from now on, with this reason. */
  disconnect(why: string): void {
    this.open = null;
    this.down = why;
  }

  close(): void {
    this.open = null;
    this.server?.close();
    this.server = null;
    fs.rmSync(this.hostPath, { force: true });
  }

  private accept(local: net.Socket): void {
    local.on('error', () => local.destroy());
    const open = this.open;
    if (!open) {
      this.refuse(local, this.down);
      return;
    }
    // A carrier that throws at once (the SSH link reconnecting) refuses this client; it must not end the host.
    Promise.resolve()
      .then(open)
      .then(
        (remote) => {
          if (local.destroyed) remote.destroy();
          else splice(local, remote);
        },
        (e: Error) => this.refuse(local, e.message),
      );
  }
}

/**
 * The Docker API's own way to say no: once the request has arrived, an HTTP 503 whose JSON
 * `message` the docker CLI prints as "Error response from daemon: …".
 */
export const refuseHttp: Refuse = (local, why) => {
  const body = JSON.stringify({ message: why });
  const answer = (): void => {
    if (local.destroyed || !local.writable) return;
    local.end(
      `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
  local.once('data', answer);
  local.once('end', answer);
  local.resume();
  // A client that sends nothing is not waited on for long.
  setTimeout(() => local.destroy(), 10_000).unref();
};
