// The contract's typed client over the control socket: the same ApiClient the dashboard and the
// shell use, on a unix socket instead of a WebSocket or IPC. Used by the CLI, the shell and tests.
import net from 'node:net';
import { ApiClient } from '../api/client.ts';
import { ApiError, type ApiEvent, type CallInput, type CallName, type CallOutput } from '../api/contract.ts';
import { readFrames, writeFrame } from './frames.ts';

export class ControlClient {
  private constructor(
    private readonly socket: net.Socket,
    private readonly api: ApiClient,
  ) {}

  /** Connects to the host serving socketPath; rejects when none listens there. */
  static connect(socketPath: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const api = new ApiClient({
          send: (frame) => writeFrame(socket, frame),
          onFrame: (h) => readFrames(socket, h),
        });
        socket.on('error', () => undefined);
        socket.on('close', () => api.failAll('the Berth host closed the connection; see its log'));
        resolve(new ControlClient(socket, api));
      });
    });
  }

  call<N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> {
    return this.api.call(name, input);
  }

  onEvent(listener: (e: ApiEvent) => void): () => void {
    return this.api.onEvent(listener);
  }

  close(): void {
    this.socket.end();
  }
}

/** One call on a fresh connection, closed afterwards. */
export async function callHost<N extends CallName>(
  socketPath: string,
  name: N,
  input: CallInput<N>,
): Promise<CallOutput<N>> {
  const client = await ControlClient.connect(socketPath);
  try {
    return await client.call(name, input);
  } finally {
    client.close();
  }
}

/** The pid of the Berth host answering on socketPath, or null when none does (no socket, stale socket). */
export async function hostPid(socketPath: string): Promise<number | null> {
  try {
    return (await callHost(socketPath, 'host.info', {})).pid;
  } catch {
    return null;
  }
}

export function isBusy(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409;
}
