// What the preload hands the page as window.berth: the dashboard contract and nothing else.
// invoke/on are the typed form; send/onFrame are the same channel as frames, the FrameTransport
// the renderer's ApiClient speaks (electron/node-host/api/client.ts), so the UI code is the same as over
// the headless host's WebSocket. Every name and payload is checked against the contract here
// and again in the main process.
import { ApiError, calls, describeIssues, events, isCallName, isEventName, type CallInput, type CallName, type CallOutput, type EventData, type EventName } from '../../node-host/api/contract.ts';
import { ClientFrameSchema, type ClientFrame } from '../../node-host/api/wire.ts';
import { IPC_CHANNELS, IpcEventSchema, IpcReplySchema } from './ipc-protocol.ts';

/** The slice of Electron's ipcRenderer the bridge uses (injected, so it tests without Electron). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export interface BerthBridge {
  invoke<N extends CallName>(call: N, input: CallInput<N>): Promise<CallOutput<N>>;
  /** Calls cb with each checked event of that name; returns the unsubscribe function. */
  on<N extends EventName>(event: N, cb: (data: EventData<N>) => void): () => void;
  send(frame: ClientFrame): void;
  onFrame(handler: (frame: unknown) => void): void;
}

export function createBridge(ipc: IpcRendererLike): BerthBridge {
  const invoke = async (name: string, input: unknown): Promise<unknown> => {
    if (!isCallName(name)) throw new ApiError(`no such call: ${name}`, 404);
    const checked = calls[name].input.safeParse(input ?? {});
    if (!checked.success) throw new ApiError(`bad input for ${name}: ${describeIssues(checked.error)}`, 400);
    const reply = IpcReplySchema.safeParse(await ipc.invoke(IPC_CHANNELS.call, { name, input: checked.data }));
    if (!reply.success) throw new ApiError(`malformed reply to ${name} from the main process`);
    if (!reply.data.ok) throw new ApiError(reply.data.error.message);
    const out = calls[name].output.safeParse(reply.data.output);
    if (!out.success) throw new ApiError(`unexpected answer to ${name}: ${describeIssues(out.error)}`);
    return out.data;
  };

  /** Listens for contract events; drops anything that is not one. */
  const listen = (cb: (name: EventName, data: unknown) => void): (() => void) => {
    const listener = (_e: unknown, payload: unknown): void => {
      const ev = IpcEventSchema.safeParse(payload);
      if (!ev.success || !isEventName(ev.data.name)) return;
      const data = events[ev.data.name].safeParse(ev.data.data);
      if (data.success) cb(ev.data.name, data.data);
    };
    ipc.on(IPC_CHANNELS.event, listener);
    return () => { ipc.removeListener(IPC_CHANNELS.event, listener); };
  };

  let frameHandler: ((frame: unknown) => void) | null = null;
  let listening = false;

  return {
    invoke: invoke as BerthBridge['invoke'],
    on: (event, cb) => {
      if (!isEventName(event)) throw new ApiError(`no such event: ${String(event)}`, 404);
      return listen((name, data) => { if (name === event) (cb as (d: unknown) => void)(data); });
    },
    send: (frame) => {
      const f = ClientFrameSchema.safeParse(frame);
      if (!f.success) return;
      const { id, name, input } = f.data;
      invoke(name, input).then(
        (output) => frameHandler?.({ type: 'result', id, output }),
        (e: Error) => frameHandler?.({ type: 'error', id, error: { message: e.message } }),
      );
    },
    onFrame: (handler) => {
      frameHandler = handler;
      if (!listening) {
        listening = true;
        listen((name, data) => frameHandler?.({ type: 'event', name, data }));
      }
    },
  };
}
