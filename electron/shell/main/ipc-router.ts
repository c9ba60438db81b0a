// IPC from Berth's windows to the same ApiHandler the headless host runs (electron/node-host/services/
// api-handler.ts): a call name maps to the same implementation whichever transport carries it.
// Only windows the shell registered, showing the app's own origin, may call; every payload is
// checked (the envelope here, the call's input and output by the handler against the contract).
import { describeIssues, errorBody, type EventName } from '../../node-host/api/contract.ts';
import type { ClientContext } from '../../node-host/api/client-context.ts';
import { IPC_CHANNELS, IpcCallSchema, type IpcEvent, type IpcReply } from '../preload/ipc-protocol.ts';
import { isAppUrl } from './window-options.ts';

/** What the router needs of a window's webContents. */
export interface SenderLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  on(event: 'destroyed' | 'did-navigate' | 'render-process-gone', listener: () => void): unknown;
}

export interface IpcInvokeEvent {
  sender: SenderLike;
  senderFrame?: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** An ApiHandler satisfies this. */
export interface CallHandler {
  handle(name: string, input: unknown, ctx: ClientContext): Promise<unknown>;
}

interface Client {
  sender: SenderLike;
  ctx: ClientContext;
}

export class IpcRouter {
  private clients = new Map<number, Client>();

  constructor(private readonly handler: CallHandler) {}

  attach(ipc: IpcMainLike): () => void {
    ipc.handle(IPC_CHANNELS.call, (event, payload) => this.call(event, payload));
    return () => ipc.removeHandler(IPC_CHANNELS.call);
  }

  /** Registers a window: it may call, and receives broadcast and its own events. */
  addClient(sender: SenderLike): void {
    if (this.clients.has(sender.id)) return;
    const ctx: ClientContext = { send: (name, data) => this.sendEvent(sender, name, data), subscriptions: new Map() };
    this.clients.set(sender.id, { sender, ctx });
    // A reload or a crashed renderer no longer reads its live logs: stop them.
    const stopAll = (): void => {
      for (const stop of ctx.subscriptions.values()) stop();
      ctx.subscriptions.clear();
    };
    sender.on('did-navigate', stopAll);
    sender.on('render-process-gone', stopAll);
    sender.on('destroyed', () => {
      stopAll();
      this.clients.delete(sender.id);
    });
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Sends an event to every window (the host's services produced it; the preload checks it again). */
  broadcast(name: EventName, data: unknown): void {
    for (const c of this.clients.values()) this.sendEvent(c.sender, name, data);
  }

  async call(event: IpcInvokeEvent, payload: unknown): Promise<IpcReply> {
    const client = this.clients.get(event.sender.id);
    if (!client || client.sender !== event.sender) return refuse('this window is not a Berth window');
    const url = event.senderFrame?.url ?? '';
    if (!isAppUrl(url))
      return refuse(`calls are accepted from the Berth dashboard only, not from ${url || 'an unknown frame'}`);
    const req = IpcCallSchema.safeParse(payload);
    if (!req.success) return refuse(`malformed call: ${describeIssues(req.error)}`);
    try {
      return { ok: true, output: await this.handler.handle(req.data.name, req.data.input, client.ctx) };
    } catch (e) {
      return { ok: false, error: errorBody(e) };
    }
  }

  private sendEvent(sender: SenderLike, name: EventName, data: unknown): void {
    if (sender.isDestroyed()) return;
    sender.send(IPC_CHANNELS.event, { name, data } satisfies IpcEvent);
  }
}

function refuse(message: string): IpcReply {
  return { ok: false, error: { message } };
}
