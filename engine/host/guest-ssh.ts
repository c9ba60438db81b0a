// The SSH link to the guest (ssh2), host key pinned: commands, and the streams' fallback while the
// virtio-serial data plane (mux-link.ts) is not up.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import ssh2 from 'ssh2';
import type { ConnectGuest, ExecOptions, ExecResult, GuestLink } from './guest-link.ts';
import { ensureKeys } from './keys.ts';
import type { DataDir } from './paths.ts';

export interface SshTarget {
  port: number;
  privateKey: string;
  hostPublicKey: Buffer;
}

export class GuestSsh extends EventEmitter implements GuestLink {
  private closed = false;
  private constructor(private readonly client: ssh2.Client) {
    super();
    client.on('close', () => {
      this.closed = true;
      this.emit('close');
    });
    client.on('error', () => {
      /* followed by 'close' */
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }
  get raw(): ssh2.Client {
    return this.client;
  }

  static connectOnce(t: SshTarget, timeoutMs = 10_000): Promise<GuestSsh> {
    return new Promise((resolve, reject) => {
      const client = new ssh2.Client();
      let mismatch = false;
      let settled = false;
      client.once('ready', () => {
        settled = true;
        resolve(new GuestSsh(client));
      });
      // ssh2 can emit several errors for one failed handshake: report the first, swallow the rest.
      client.on('error', (e) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(mismatch ? new Error('guest SSH host key does not match the pinned key: refusing to connect') : e);
      });
      client.connect({
        host: '127.0.0.1',
        port: t.port,
        username: 'root',
        privateKey: t.privateKey,
        readyTimeout: timeoutMs,
        keepaliveInterval: 5000,
        keepaliveCountMax: 6,
        hostVerifier: (key: Buffer) => {
          mismatch = !key.equals(t.hostPublicKey);
          return !mismatch;
        },
      });
    });
  }

  /**
   * Waits for sshd in a booting guest. QEMU's forwarder accepts TCP before sshd listens and
   * then resets, so a refused handshake means "not yet"; only the deadline or `abort` end it.
   * Before the guest's network is up QEMU's connection to it hangs (its SYN goes unanswered and
   * is retried with back-off), so each try first waits briefly for sshd's greeting on a plain
   * connection, and only a guest that greeted gets the whole (slow, emulated) handshake.
   */
  static async waitForGuest(t: SshTarget, deadlineMs: number, abort: () => string | null): Promise<GuestSsh> {
    const until = Date.now() + deadlineMs;
    let last: Error | null = null;
    for (;;) {
      const aborted = abort();
      if (aborted) throw new Error(aborted);
      try {
        if (await sshdGreets(t.port, GREETING_MS)) return await GuestSsh.connectOnce(t, 15_000);
        last = new Error('sshd has not answered yet');
      } catch (e) {
        last = e as Error;
        if (last.message.includes('host key')) throw last;
      }
      if (Date.now() > until)
        throw new Error(`guest SSH did not answer within ${Math.round(deadlineMs / 1000)} s: ${last?.message}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = '';
        let stderr = '';
        const timer = opts.timeoutMs
          ? setTimeout(() => {
              stream.close();
              reject(new Error(`guest command timed out: ${command}`));
            }, opts.timeoutMs)
          : null;
        stream.on('data', (d: Buffer) => {
          stdout += d.toString();
        });
        stream.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        stream.on('close', (code: number | null) => {
          if (timer) clearTimeout(timer);
          resolve({ code: code ?? -1, stdout, stderr });
        });
        if (opts.stdin !== undefined) stream.end(opts.stdin);
        else stream.end();
      });
    });
  }

  /** Runs a command and throws with its stderr unless it exits 0. */
  async run(command: string, opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(command, opts);
    if (r.code !== 0)
      throw new Error(`'${command}' failed in the VM (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  }

  /** Opens a stream to a unix socket in the VM (sshd's streamlocal forwarding; half-close kept). */
  openStreamLocal(guestPath: string): Promise<ssh2.ClientChannel> {
    if (this.closed) return Promise.reject(new Error('the link to the VM is down'));
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(guestPath, (err, ch) =>
        err ? reject(new Error(`${guestPath} does not answer in the VM (${err.message})`)) : resolve(ch),
      );
    });
  }

  /** Opens a TCP connection to an address inside the VM (used for published ports). */
  connectTcp(host: string, port: number): Promise<ssh2.ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
  }

  end(): void {
    this.client.end();
  }
}

/** How long one try waits for sshd's "SSH-" greeting before connecting afresh. */
const GREETING_MS = 1500;

/** True once sshd sends its identification line on a fresh connection to the forwarded port. */
function sshdGreets(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    let got = '';
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length >= 4) done(got.startsWith('SSH-'));
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

/** The default link: SSH with this install's keys, the guest's host key pinned. */
export function sshToGuest(data: DataDir): ConnectGuest {
  return (port, deadlineMs, abort) => {
    const keys = ensureKeys(data.keysDir);
    return GuestSsh.waitForGuest(
      { port, privateKey: keys.clientPrivateKey, hostPublicKey: keys.hostPublicKey },
      deadlineMs,
      abort,
    );
  };
}
