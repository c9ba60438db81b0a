// A typed client over any frame transport (WebSocket in a browser, IPC in Electron): validates
// inputs before sending and outputs and events on arrival, so the UI only ever sees checked data.
import {
  ApiError,
  calls,
  describeIssues,
  events,
  isEventName,
  type ApiEvent,
  type CallInput,
  type CallName,
  type CallOutput,
} from './contract.ts';
import { ServerFrameSchema, type ClientFrame } from './wire.ts';

export interface FrameTransport {
  send(frame: ClientFrame): void;
  /** Registers the frame handler; the transport calls it with each raw frame it receives. */
  onFrame(handler: (frame: unknown) => void): void;
}

export class ApiClient {
  private nextId = 1;
  private pending = new Map<number, { name: CallName; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private listeners = new Set<(e: ApiEvent) => void>();

  constructor(private readonly transport: FrameTransport) {
    transport.onFrame((raw) => this.receive(raw));
  }

  call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
    const checked = calls[name].input.safeParse(input);
    if (!checked.success) return Promise.reject(new ApiError(describeIssues(checked.error), 400));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { name, resolve: resolve as (v: unknown) => void, reject });
      try {
        this.transport.send({ type: 'call', id, name, input: checked.data });
      } catch (e) {
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  onEvent(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fails every call in flight, e.g. when the connection drops. */
  failAll(message: string): void {
    for (const p of this.pending.values()) p.reject(new ApiError(message, 503));
    this.pending.clear();
  }

  private receive(raw: unknown): void {
    const frame = ServerFrameSchema.safeParse(raw);
    if (!frame.success) return;
    const f = frame.data;
    if (f.type === 'event') {
      if (!isEventName(f.name)) return;
      const data = events[f.name].safeParse(f.data);
      if (!data.success) {
        console.warn(`dropped malformed '${f.name}' event: ${describeIssues(data.error)}`);
        return;
      }
      const ev = { name: f.name, data: data.data } as ApiEvent;
      for (const l of this.listeners) l(ev);
      return;
    }
    const p = this.pending.get(f.id);
    if (!p) return;
    this.pending.delete(f.id);
    if (f.type === 'error') {
      p.reject(new ApiError(f.error.message, f.error.status));
      return;
    }
    const out = calls[p.name].output.safeParse(f.output);
    if (out.success) p.resolve(out.data);
    else p.reject(new ApiError(`unexpected answer to ${p.name}: ${describeIssues(out.error)}`));
  }
}
