// The host end of the data plane without SSH: QEMU exposes the VM's virtio-serial port
// "berth.mux" as a unix socket in the data dir's private run dir (0600), the host connects once
// per boot, and every docker-socket, agent and published-port stream is multiplexed over it
// (wire format and flow control: engine/transport/frames.ts; guest end: engine/agent/vport-mux.ts).
// No encryption on the path: it never leaves this machine, and only this user can open it.
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { Mux } from '../transport/mux.ts';
import { connectQemuSocket } from './qemu-socket.ts';

/** The virtio-serial port's name in the guest (/dev/virtio-ports/<name>). */
export const MUX_PORT = 'berth.mux';

export class MuxLink {
  private constructor(
    private readonly mux: Mux,
    private readonly sock: net.Socket,
  ) {}

  /** Connects to QEMU's end of the port (QEMU creates it as it starts). */
  static async connect(socketPath: string, timeoutMs = 10_000): Promise<MuxLink> {
    const sock = await connectQemuSocket(socketPath, timeoutMs).catch((e: Error) => {
      throw new Error(`the VM's data port (${socketPath}) does not answer: ${e.message}`);
    });
    return new MuxLink(new Mux(sock, { role: 'host' }), sock);
  }

  /** True once the guest agent has answered the session handshake. */
  get ready(): boolean {
    return this.mux.ready;
  }

  /** Resolves when the guest end answers, false when it has not within timeoutMs. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.mux.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.mux.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.mux.once('ready', onReady);
    });
  }

  openStreamLocal(guestPath: string): Promise<Duplex> {
    return this.mux.open(`unix:${guestPath}`);
  }

  connectTcp(host: string, port: number): Promise<Duplex> {
    return this.mux.open(`tcp:${host.includes(':') ? `[${host}]` : host}:${port}`);
  }

  close(): void {
    this.mux.close('the engine stopped');
    this.sock.destroy();
  }
}
