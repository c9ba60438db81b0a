// What the engine needs from its link to the guest, whatever carries it (SSH today): commands,
// and byte streams to unix sockets and TCP ports inside the VM. Emits 'close' when it drops.
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}
export interface ExecOptions {
  stdin?: string | Buffer;
  timeoutMs?: number;
}

/** Byte streams into the VM: the virtio-serial mux when it is up, the SSH link otherwise. */
export interface StreamCarrier {
  openStreamLocal(guestPath: string): Promise<Duplex>;
  connectTcp(host: string, port: number): Promise<Duplex>;
}

export interface GuestLink extends EventEmitter, StreamCarrier {
  readonly isClosed: boolean;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Runs a command and throws with its stderr unless it exits 0. */
  run(command: string, opts?: ExecOptions): Promise<string>;
  end(): void;
}

/** Where and how to reach a booting guest: resolves once it answers, rejects at the deadline or on abort. */
export type ConnectGuest = (port: number, deadlineMs: number, abort: () => string | null) => Promise<GuestLink>;
