// The SSH link while it is still connecting: commands and streams wait for it. A start with the
// data port does not wait for SSH (it connects beside the end of the start, off the engine's
// path), so `berth shell`, diagnostics and the stop's poweroff may ask a moment before it is up.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ExecOptions, ExecResult, GuestLink } from './guest-link.ts';

export class PendingLink extends EventEmitter implements GuestLink {
  constructor(private readonly link: Promise<GuestLink>) {
    super();
    link.then(
      (l) => l.once('close', () => this.emit('close')),
      () => undefined,
    );
  }

  get isClosed(): boolean {
    return false;
  }
  async exec(command: string, opts?: ExecOptions): Promise<ExecResult> {
    return (await this.link).exec(command, opts);
  }
  async run(command: string, opts?: ExecOptions): Promise<string> {
    return (await this.link).run(command, opts);
  }
  async openStreamLocal(guestPath: string): Promise<Duplex> {
    return (await this.link).openStreamLocal(guestPath);
  }
  async connectTcp(host: string, port: number): Promise<Duplex> {
    return (await this.link).connectTcp(host, port);
  }
  end(): void {
    this.link.then(
      (l) => l.end(),
      () => undefined,
    );
  }
}
