// One QEMU process: launch, watch, stop gracefully (ACPI power-down over QMP), kill as a last resort.
// QEMU runs in a session of its own with its messages in a file, so it outlives a Berth host that
// crashes, and the next host can attach to it (its QMP socket, its pid) instead of booting again.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { QmpClient, type QmpEvent } from './qmp.ts';
import type { RunStateChange, VmExit } from './vm-driver.ts';
import { freshConsoleLog } from './vm-files.ts';
import { qemuArgs, type Netdev, type VmConfig } from './qemu-args.ts';
import { pidAlive, waitForExit } from './process-watch.ts';

/** QEMU's stderr file: beside the console log. */
export function qemuLogOf(consoleLog: string): string {
  return consoleLog.replace(/console(\.log)?$/, 'qemu.log');
}

/** A network backend QEMU connects to (passt): started before QEMU, ended when QEMU does not start. */
export interface NetworkLink {
  /** What `berth status` calls it ("passt 0.0~git20261002"). */
  readonly name: string;
  start(): Promise<Netdev>;
  /** Whether it runs: an adopting host finds it rather than starting it. */
  alive(): boolean;
  stop(): void;
}

export class QemuVm extends EventEmitter {
  private pidNum: number | undefined;
  private onLink = false;
  /** The network the VM runs on, for `berth status`. */
  network = 'QEMU user network';
  private qmp: QmpClient | null = null;
  private stopping = false;
  private exitInfo: VmExit | null = null;
  readonly exited: Promise<VmExit>;
  private resolveExit!: (e: VmExit) => void;

  constructor(
    private readonly binary: string,
    private readonly config: VmConfig,
    /** The network backend to start first; without it (or when it fails) QEMU's user network. */
    private readonly link?: NetworkLink,
  ) {
    super();
    this.exited = new Promise((r) => {
      this.resolveExit = r;
    });
  }

  get pid(): number | undefined {
    return this.pidNum;
  }
  get running(): boolean {
    return this.pidNum !== undefined && this.exitInfo === null;
  }
  /** True when the VM's network is the link's (its forwards are the link's too). */
  get usesLink(): boolean {
    return this.onLink;
  }

  /** The link's netdev, or QEMU's user network (with the reason) when there is none or it fails. */
  private async netdev(): Promise<Netdev> {
    if (!this.link) return { kind: 'user' };
    try {
      const n = await this.link.start();
      this.onLink = true;
      this.network = this.link.name;
      return n;
    } catch (e) {
      this.network = `QEMU user network (${(e as Error).message})`;
      return { kind: 'user' };
    }
  }
  private get logFile(): string {
    return qemuLogOf(this.config.consoleLog);
  }

  async start(): Promise<void> {
    const netdev = await this.netdev();
    try {
      await this.launch(netdev);
    } catch (e) {
      if (this.onLink) this.link?.stop();
      throw e;
    }
  }

  private async launch(netdev: Netdev): Promise<void> {
    fs.rmSync(this.config.qmpSocket, { force: true });
    freshConsoleLog(this.config.consoleLog);
    const log = fs.openSync(this.logFile, 'w', 0o600);
    // detached: a session of its own, so neither a terminal's Ctrl-C nor the host's death ends it.
    const child = spawn(this.binary, qemuArgs({ ...this.config, netdev }), {
      stdio: ['ignore', 'ignore', log],
      detached: true,
    });
    fs.closeSync(log);
    this.pidNum = child.pid;
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (e: NodeJS.ErrnoException) => {
        reject(
          e.code === 'ENOENT'
            ? new Error(
                `QEMU not found: '${this.binary}' is not installed or not on PATH (Debian: apt-get install qemu-system-x86)`,
              )
            : e,
        );
      }),
    );
    child.on('exit', (code, signal) => this.ended(code, signal));
    const earlyExit = this.exited.then((e) => {
      throw new Error(`QEMU exited at start (${e.code ?? e.signal}): ${e.stderr || 'no message'}`);
    });
    this.qmp = await Promise.race([this.connectQmp(15_000), spawnError, earlyExit]);
    fs.chmodSync(this.config.qmpSocket, 0o600);
    this.qmp.on('event', (ev) => this.onQmpEvent(ev));
  }

  /**
   * Takes over a QEMU that an earlier host started (pid from its pid file): QMP, and its end
   * watched through QMP's connection (it closes when QEMU exits) and the pid. Throws when QMP does
   * not answer within timeoutMs or the VM is not running.
   */
  async attach(pid: number, timeoutMs = 5_000): Promise<void> {
    if (!pidAlive(pid)) throw new Error(`QEMU (pid ${pid}) is not running`);
    this.pidNum = pid;
    this.onLink = this.link?.alive() ?? false;
    if (this.onLink && this.link) this.network = this.link.name;
    this.qmp = await QmpClient.connect(this.config.qmpSocket, timeoutMs);
    this.qmp.on('event', (ev) => this.onQmpEvent(ev));
    this.qmp.once('close', () => {
      void waitForExit(pid, 30_000).then(() => this.ended(null, null));
    });
    const st = await this.status();
    if (st !== 'running') throw new Error(`QEMU (pid ${pid}) is ${st}, not running`);
  }

  /** QMP's events as the driver seam's run-state changes (the rest are QEMU's own business). */
  private onQmpEvent(ev: QmpEvent): void {
    const change = ({ SHUTDOWN: 'shutdown', STOP: 'stopped', GUEST_PANICKED: 'panicked' } as const)[
      ev.event as 'SHUTDOWN' | 'STOP' | 'GUEST_PANICKED'
    ];
    if (change)
      this.emit('run-state', {
        change,
        ...(typeof ev.data?.reason === 'string' ? { reason: ev.data.reason } : {}),
      } satisfies RunStateChange);
  }

  private ended(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    this.exitInfo = { code, signal, expected: this.stopping, stderr: this.stderrText().trim() };
    this.qmp?.close();
    this.resolveExit(this.exitInfo);
    this.emit('exit', this.exitInfo);
  }

  /** QEMU creates the QMP socket a moment after it starts; retry until it answers. */
  private async connectQmp(timeoutMs: number): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await QmpClient.connect(this.config.qmpSocket, 2000);
      } catch (e) {
        if (Date.now() > deadline || this.exitInfo) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async status(): Promise<string> {
    if (!this.qmp) return 'not-started';
    return (await this.qmp.execute<{ status: string }>('query-status')).status;
  }

  /** ACPI power button first; SIGKILL if the guest has not powered off within timeoutMs. */
  async stop(timeoutMs = 30_000): Promise<VmExit> {
    if (!this.running) return this.exited;
    this.stopping = true;
    try {
      await this.qmp?.execute('system_powerdown');
    } catch {
      /* QMP gone: kill below */
    }
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(): void {
    this.stopping = true;
    if (this.pidNum === undefined || this.exitInfo) return;
    try {
      process.kill(this.pidNum, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }

  /** A human-monitor command over QMP; QEMU answers in text (hostfwd_add: empty on success). */
  hmp(command: string): Promise<string> {
    return this.qmpExecute<string>('human-monitor-command', { 'command-line': command });
  }

  /** A QMP command with JSON arguments (those HMP cannot spell, e.g. netdev_add of a stream backend). */
  async qmpExecute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (!this.qmp || !this.running) throw new Error('QEMU is not running');
    return this.qmp.execute<T>(command, args);
  }

  /** QEMU's own messages so far (the last 8 KiB of its stderr file). */
  stderrText(): string {
    return tailText(this.logFile, 8192);
  }

  consoleTail(lines = 20): string[] {
    return tailLines(this.config.consoleLog, lines);
  }
}

function tailText(file: string, bytes: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, bytes);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function tailLines(file: string, lines: number): string[] {
  return tailText(file, 16384)
    .replace(/\r/g, '')
    .split('\n')
    .filter((l) => l.trim())
    .slice(-lines);
}
