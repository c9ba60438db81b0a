// The guest agent handed to the VM as it boots, over its own virtio-serial port ("berth.boot"):
// the guest's berth-agent-fetch takes it into /run from the initramfs, before systemd starts
// (berth-early; its unit when that did not happen), and the agent starts beside the engine
// instead of after an SSH upload.
//
// Wire format, host to guest only: one line "<sha256 hex> <byte length>\n", then the bundle's
// bytes. The guest (engine/image/rootfs/usr/local/sbin/berth-agent-fetch) reads the line and the
// bytes, and keeps the file only if the bytes hash to the line's sha256. The SSH install
// (agent-installer.ts) uploads it when the guest did not take it (an image from before this port,
// or a bundle that arrived damaged).
import crypto from 'node:crypto';
import type net from 'node:net';
import { connectQemuSocket } from './qemu-socket.ts';

/** The virtio-serial port's name in the guest (/dev/virtio-ports/<name>). */
export const BOOT_PORT = 'berth.boot';

/** The header line the guest reads before the bundle. */
export function bootPortHeader(bundle: Buffer): string {
  return `${crypto.createHash('sha256').update(bundle).digest('hex')} ${bundle.length}\n`;
}

/**
 * Connects to QEMU's end of the port and queues the header and bundle; the guest reads them when
 * it opens the port. The connection stays open until close(): QEMU passes bytes on only while it
 * is connected, and the guest may read long after they were written.
 */
export class AgentBootPort {
  private sock: net.Socket | null = null;
  private closed = false;

  constructor(
    private readonly socketPath: string,
    private readonly log: (msg: string) => void,
  ) {}

  async offer(bundle: Promise<Buffer>, timeoutMs = 5_000): Promise<void> {
    const sock = await this.connect(timeoutMs);
    if (!sock) return;
    const bytes = await bundle;
    if (this.closed) {
      sock.destroy();
      return;
    }
    sock.write(bootPortHeader(bytes));
    sock.write(bytes);
  }

  close(): void {
    this.closed = true;
    this.sock?.destroy();
    this.sock = null;
  }

  private async connect(timeoutMs: number): Promise<net.Socket | null> {
    let sock: net.Socket;
    try {
      sock = await connectQemuSocket(this.socketPath, timeoutMs, () => this.closed);
    } catch (e) {
      if (!this.closed)
        this.log(`agent: the VM's boot port does not answer (${(e as Error).message}); the agent goes over SSH`);
      return null;
    }
    // The VM going away ends the connection; nothing here waits on it.
    sock.on('error', () => sock.destroy());
    if (this.closed) {
      sock.destroy();
      return null;
    }
    this.sock = sock;
    return sock;
  }
}
