// One QEMU process: launch, watch, stop gracefully (ACPI power-down over QMP), kill as a last resort.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { QmpClient } from './qmp.ts';
import { freshConsoleLog } from './vm-files.ts';
import { qemuArgs, type VmConfig } from './qemu-args.ts';

export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we asked for it (stop); false means a crash or an outside kill. */
  expected: boolean;
  stderr: string;
}

export class QemuVm extends EventEmitter {
  private child: ChildProcess | null = null;
  private qmp: QmpClient | null = null;
  private stopping = false;
  private stderr = '';
  private exitInfo: VmExit | null = null;
  readonly exited: Promise<VmExit>;
  private resolveExit!: (e: VmExit) => void;

  constructor(private readonly binary: string, private readonly config: VmConfig) {
    super();
    this.exited = new Promise((r) => { this.resolveExit = r; });
  }

  get pid(): number | undefined { return this.child?.pid; }
  get running(): boolean { return this.child !== null && this.exitInfo === null; }

  async start(): Promise<void> {
    fs.rmSync(this.config.qmpSocket, { force: true });
    freshConsoleLog(this.config.consoleLog);
    const child = spawn(this.binary, qemuArgs(this.config), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-8192); });
    const spawnError = new Promise<never>((_, reject) => child.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT'
        ? new Error(`QEMU not found: '${this.binary}' is not installed or not on PATH (Debian: apt-get install qemu-system-x86)`)
        : e);
    }));
    // 'close', not 'exit': stderr is read to its end by then, so QEMU's last words (`terminating
    // on signal 15 from pid …`) are part of what the exit reports.
    child.on('close', (code, signal) => {
      this.exitInfo = { code, signal, expected: this.stopping, stderr: this.stderr.trim() };
      this.qmp?.close();
      this.resolveExit(this.exitInfo);
      this.emit('exit', this.exitInfo);
    });
    const earlyExit = this.exited.then((e) => { throw new Error(`QEMU exited at start (${e.code ?? e.signal}): ${e.stderr || 'no message'}`); });
    this.qmp = await Promise.race([this.connectQmp(), spawnError, earlyExit]);
    fs.chmodSync(this.config.qmpSocket, 0o600);
    this.qmp.on('event', (ev) => this.emit('qmp-event', ev));
  }

  /** QEMU creates the QMP socket a moment after it starts; retry until it answers. */
  private async connectQmp(): Promise<QmpClient> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try { return await QmpClient.connect(this.config.qmpSocket, 2000); } catch (e) {
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
    if (!this.child || this.exitInfo) return this.exited;
    this.stopping = true;
    try { await this.qmp?.execute('system_powerdown'); } catch { /* QMP gone: kill below */ }
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  kill(): void {
    this.stopping = true;
    this.child?.kill('SIGKILL');
  }

  /** A human-monitor command over QMP; QEMU answers in text (hostfwd_add: empty on success). */
  async hmp(command: string): Promise<string> {
    if (!this.qmp || !this.running) throw new Error('QEMU is not running');
    return this.qmp.execute<string>('human-monitor-command', { 'command-line': command });
  }

  /** QEMU's own messages so far (its last 8 KiB of stderr). */
  stderrText(): string { return this.stderr; }

  consoleTail(lines = 20): string[] {
    return tailLines(this.config.consoleLog, lines);
  }
}

export function tailLines(file: string, lines: number): string[] {
  try {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 16384);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    fs.closeSync(fd);
    return buf.toString('utf8').replace(/\r/g, '').split('\n').filter((l) => l.trim()).slice(-lines);
  } catch { return []; }
}
