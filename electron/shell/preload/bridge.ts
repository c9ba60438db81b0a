// What the preload hands the page as window.berth: the dashboard contract as a frame transport
// (send/onFrame), the same FrameTransport the renderer's ApiClient speaks over the headless
// host's WebSocket (electron/node-host/api/client.ts), so the UI code is one. Every name and
// payload is checked against the contract here, before it crosses IPC, and again in the main
// process; a frame that fails the check is answered with an error frame, never sent on.
import {
  ApiError,
  calls,
  describeIssues,
  errorBody,
  events,
  isCallName,
  isEventName,
} from '../../node-host/api/contract.ts';
import type { FrameTransport } from '../../node-host/api/client.ts';
import { ClientFrameSchema } from '../../node-host/api/wire.ts';
import { IPC_CHANNELS, IpcEventSchema, IpcReplySchema } from './ipc-protocol.ts';

/** The slice of Electron's ipcRenderer the bridge uses (injected, so it tests without Electron). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export type BerthBridge = FrameTransport;

export function createBridge(ipc: IpcRendererLike): BerthBridge {
  const invoke = async (name: string, input: unknown): Promise<unknown> => {
    if (!isCallName(name)) throw new ApiError(`no such call: ${name}`, 404);
    const checked = calls[name].input.safeParse(input ?? {});
    if (!checked.success) throw new ApiError(`bad input for ${name}: ${describeIssues(checked.error)}`, 400);
    const reply = IpcReplySchema.safeParse(await ipc.invoke(IPC_CHANNELS.call, { name, input: checked.data }));
    if (!reply.success) throw new ApiError(`malformed reply to ${name} from the main process`);
    if (!reply.data.ok) throw new ApiError(reply.data.error.message, reply.data.error.status);
    const out = calls[name].output.safeParse(reply.data.output);
    if (!out.success) throw new ApiError(`unexpected answer to ${name}: ${describeIssues(out.error)}`);
    return out.data;
  };

  // Every handler hears every frame: a client ignores answers to ids it did not send.
  const handlers = new Set<(frame: unknown) => void>();
  let listening = false;
  const deliver = (frame: unknown): void => {
    for (const h of handlers) h(frame);
  };

  return {
    send: (frame) => {
      const f = ClientFrameSchema.safeParse(frame);
      if (!f.success) {
        const id = (frame as { id?: unknown } | null)?.id;
        if (typeof id === 'number')
          deliver({
            type: 'error',
            id,
            error: { message: `malformed frame: ${describeIssues(f.error)}`, status: 400 },
          });
        return;
      }
      const { id, name, input } = f.data;
      invoke(name, input).then(
        (output) => deliver({ type: 'result', id, output }),
        (e: unknown) => deliver({ type: 'error', id, error: errorBody(e) }),
      );
    },
    onFrame: (handler) => {
      handlers.add(handler);
      if (listening) return;
      listening = true;
      // Contract events only; anything else from the main process is dropped here.
      ipc.on(IPC_CHANNELS.event, (_e: unknown, payload: unknown) => {
        const ev = IpcEventSchema.safeParse(payload);
        if (!ev.success || !isEventName(ev.data.name)) return;
        const data = events[ev.data.name].safeParse(ev.data.data);
        if (data.success) deliver({ type: 'event', name: ev.data.name, data: data.data });
      });
    },
  };
}
