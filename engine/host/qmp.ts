// A minimal QMP (QEMU Machine Protocol) client: JSON lines over a unix socket.
import net from 'node:net';
import { EventEmitter } from 'node:events';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

export class QmpClient extends EventEmitter {
  private buf = '';
  private queue: Pending[] = [];
  private constructor(private readonly sock: net.Socket) {
    super();
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    sock.on('close', () => {
      for (const p of this.queue.splice(0)) p.reject(new Error('QMP connection closed'));
      this.emit('close');
    });
    sock.on('error', () => {
      /* surfaced through 'close' */
    });
  }

  /** Connects, reads the greeting and leaves capabilities negotiation done. */
  static async connect(socketPath: string, timeoutMs = 10_000): Promise<QmpClient> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(socketPath);
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`QMP: no answer on ${socketPath}`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    const client = new QmpClient(sock);
    await new Promise<void>((resolve) => client.once('greeting', () => resolve()));
    await client.execute('qmp_capabilities');
    return client;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if ('QMP' in msg) this.emit('greeting', msg);
      else if ('event' in msg) this.emit('event', msg as unknown as QmpEvent);
      else if ('return' in msg) this.queue.shift()?.resolve(msg.return);
      else if ('error' in msg) {
        const err = msg.error as { desc?: string };
        this.queue.shift()?.reject(new Error(`QMP: ${err.desc ?? 'error'}`));
      }
    }
  }
}
