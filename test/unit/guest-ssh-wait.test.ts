// Waiting for a booting guest's sshd: QEMU's forwarder accepts connections before the guest can
// answer, and such a connection stays silent. The wait must notice sshd soon after it greets,
// not sit out a whole handshake timeout on a connection made before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { GuestSsh } from '../../engine/host/guest-ssh.ts';
import { ensureKeys } from '../../engine/host/keys.ts';

test('waitForGuest connects within moments of sshd coming up, past silent early connections', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ssh-wait-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const keys = ensureKeys(dir);
  const hostKey = fs.readFileSync(keys.hostKeyFile);
  const sshd = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => ctx.accept());
    client.on('error', () => undefined);
  });
  // The "forwarder": accepts at once; silent (like QEMU with the guest's network down) until
  // upAt, then hands connections to the SSH server.
  const silent = new Set<net.Socket>();
  const upAt = Date.now() + 1200;
  const front = net.createServer((sock) => {
    if (Date.now() < upAt) {
      silent.add(sock);
      sock.on('error', () => undefined);
      return;
    }
    sshd.injectSocket(sock);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of silent) s.destroy();
    front.close();
  });
  const port = (front.address() as net.AddressInfo).port;
  const t0 = Date.now();
  const link = await GuestSsh.waitForGuest(
    { port, privateKey: keys.clientPrivateKey, hostPublicKey: keys.hostPublicKey },
    30_000,
    () => null,
  );
  const waited = Date.now() - t0;
  link.end();
  assert.ok(silent.size >= 1, 'the first tries met a silent forwarder');
  // sshd is up at 1.2 s; one greeting wait (1.5 s) may pass before the next try sees it.
  assert.ok(waited < 4000, `connected ${waited} ms after the first try (a whole handshake timeout is 5 s or more)`);
});
