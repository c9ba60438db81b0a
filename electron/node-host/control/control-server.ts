// The control socket (<data dir>/run/berth.sock, 0600): the contract's calls and events as JSON
// lines, for the `berth` command and anything else on this machine running as the user. Each
// connection is one client, exactly as a dashboard WebSocket or an Electron window is.
import fs from 'node:fs';
import net from 'node:net';
import type { EventData, EventName } from '../api/contract.ts';
import { ClientFrameSchema, type ServerFrame } from '../api/wire.ts';
import type { ClientContext } from '../api/client-context.ts';
import { errorBody } from '../api/contract.ts';
import { readFrames, writeFrame } from './frames.ts';

/** An ApiHandler satisfies this. */
export interface CallHandler {
  handle(name: string, input: unknown, ctx: ClientContext): Promise<unknown>;
}

/** Where the host's events come from: a subscription lasts as long as the connection. */
export interface EventSource {
  subscribe(listener: <N extends EventName>(name: N, data: EventData<N>) => void): () => void;
}

export class ControlServer {
  private readonly sockets = new Set<net.Socket>();
  private readonly clientWatchers = new Set<(count: number) => void>();
  private handler: CallHandler | null = null;
  private readonly server = net.createServer((socket) => this.onClient(socket, this.handler!));

  constructor(private readonly events: EventSource) {}

  /** How many clients are connected now. */
  get clients(): number {
    return this.sockets.size;
  }

  /** Calls listener whenever a client connects or leaves. */
  onClients(listener: (count: number) => void): () => void {
    this.clientWatchers.add(listener);
    return () => {
      this.clientWatchers.delete(listener);
    };
  }

  private clientsChanged(): void {
    for (const w of this.clientWatchers) w(this.sockets.size);
  }

  private onClient(socket: net.Socket, handler: CallHandler): void {
    this.sockets.add(socket);
    this.clientsChanged();
    const send = (frame: ServerFrame): void => writeFrame(socket, frame);
    const ctx: ClientContext = { send: (name, data) => send({ type: 'event', name, data }), subscriptions: new Map() };
    const unsubscribe = this.events.subscribe((name, data) => send({ type: 'event', name, data }));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.clientsChanged();
      unsubscribe();
      for (const stop of ctx.subscriptions.values()) stop();
    });
    readFrames(socket, (raw) => {
      const frame = ClientFrameSchema.safeParse(raw);
      if (!frame.success) {
        send({
          type: 'error',
          id: -1,
          error: { message: 'malformed frame: expected {"type":"call","id":…,"name":…,"input":…}', status: 400 },
        });
        return;
      }
      const { id, name, input } = frame.data;
      handler.handle(name, input, ctx).then(
        (output) => send({ type: 'result', id, output }),
        (e: unknown) => send({ type: 'error', id, error: errorBody(e) }),
      );
    });
  }

  /** Serves handler's calls on socketPath (0600). */
  listen(socketPath: string, handler: CallHandler): Promise<void> {
    this.handler = handler;
    fs.rmSync(socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        fs.chmodSync(socketPath, 0o600);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
