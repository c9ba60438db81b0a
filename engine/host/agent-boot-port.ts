// The guest agent handed to the VM as it boots, over its own virtio-serial port ("berth.boot"),
// so a fresh or outdated data disk has the current agent before SSH is even up: berth-init reads
// it beside the data disk's set-up, and the agent starts with the engine instead of after an SSH
// upload (measured under TCG: the agent answered 4.9 s after dockerd on a fresh disk that way).
//
// Wire format, host to guest only: one line "<sha256 hex> <byte length>\n", then the bundle's
// bytes. The guest (engine/image/rootfs/usr/local/sbin/berth-agent-fetch) reads the line, and the
// bytes only when its copy differs; it keeps the file only if the bytes hash to the line's sha256.
// The SSH install (agent-installer.ts) still checks the result and uploads when the guest did not
// take it (an image from before this port, or a bundle that arrived damaged).
import crypto from 'node:crypto';
import net from 'node:net';
import fs from 'node:fs';

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

  constructor(private readonly socketPath: string, private readonly log: (msg: string) => void) {}

  async offer(bundle: Promise<Buffer>, timeoutMs = 5_000): Promise<void> {
    const sock = await this.connect(timeoutMs);
    if (!sock) return;
    const bytes = await bundle;
    if (this.closed) { sock.destroy(); return; }
    sock.write(bootPortHeader(bytes));
    sock.write(bytes);
  }

  close(): void {
    this.closed = true;
    this.sock?.destroy();
    this.sock = null;
  }

  private async connect(timeoutMs: number): Promise<net.Socket | null> {
    const until = Date.now() + timeoutMs;
    while (!this.closed) {
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(this.socketPath);
          s.once('connect', () => { s.off('error', reject); resolve(s); });
          s.once('error', reject);
        });
        fs.chmodSync(this.socketPath, 0o600);
        // The VM going away ends the connection; nothing here waits on it.
        sock.on('error', () => sock.destroy());
        if (this.closed) { sock.destroy(); return null; }
        this.sock = sock;
        return sock;
      } catch (e) {
        if (Date.now() > until) {
          this.log(`agent: the VM's boot port does not answer (${(e as Error).message}); the agent goes over SSH`);
          return null;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return null;
  }
}
