// Connecting to a unix socket QEMU serves (`-chardev socket,…,server=on`): QEMU creates it as it
// starts, so the first tries may find nothing there; once connected the socket is made 0600
// (QEMU creates it with the process umask), so only this user can reach the VM through it.
import fs from 'node:fs';
import net from 'node:net';

/** Retries until connected or `timeoutMs` has passed (then throws the last error); `cancelled` stops it early. */
export async function connectQemuSocket(
  socketPath: string,
  timeoutMs: number,
  cancelled: () => boolean = () => false,
): Promise<net.Socket> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (cancelled()) throw new Error('cancelled');
    try {
      const sock = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(socketPath);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      fs.chmodSync(socketPath, 0o600);
      return sock;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
