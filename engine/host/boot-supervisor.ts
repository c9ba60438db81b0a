// Watches one boot until the engine is up. A VM that stops in a bad run state (KVM's
// "internal-error", a guest panic), a QEMU that dies (an abort in kvm_buf_set_msrs), or, with a
// hardware accelerator, a guest that prints nothing within a bounded time, ends the boot at once
// with a verdict in QEMU's own words; the controller then falls back to TCG or reports it,
// instead of waiting out the SSH deadline.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { RunStateChange, VmExit, VmHandle } from './vm-driver.ts';
import { lastLines } from './kernel-probe.ts';

/** berth-init prints this on the console as soon as the root system runs (see the image recipe). */
export const CONSOLE_MARKER = 'berth-init: started';

export interface BootVerdict {
  message: string;
  /** True when the failure points at the hardware accelerator: worth a retry on TCG. */
  accelerator: boolean;
  /**
   * True when the guest itself ended the boot (a reset, power-off or panic QEMU reports as its
   * SHUTDOWN reason, or a clean exit with no word from QEMU): worth one more boot.
   */
  guestEnded: boolean;
  console: string[];
}

export interface SupervisorOptions {
  /** A hardware accelerator (kvm/hvf/whpx): console silence then means a stuck vCPU. */
  hardware: boolean;
  consoleLog: string;
  /** How long a hardware-accelerated guest may stay silent before its marker; BERTH_BOOT_STALL_MS. */
  stallMs?: number;
}

const BAD_RUN_STATES = new Set(['internal-error', 'guest-panicked', 'io-error', 'shutdown']);

/** Emits 'verdict' (BootVerdict) once, after stopping QEMU. */
export class BootSupervisor extends EventEmitter {
  private result: BootVerdict | null = null;
  private markerSeen = false;
  private stallTimer: NodeJS.Timeout | null = null;
  private watcher: fs.FSWatcher | null = null;
  private finished = false;

  /** Created before QEMU starts: an abort within its first milliseconds is a verdict too. */
  constructor(
    private readonly vm: VmHandle,
    private readonly o: SupervisorOptions,
  ) {
    super();
    vm.on('run-state', this.onRunState);
    vm.on('exit', this.onExit);
  }

  get verdict(): BootVerdict | null {
    return this.result;
  }

  /** QEMU is running and its console file is new: start the silence bound. */
  watchConsole(): void {
    if (!this.o.hardware || this.result) return;
    const stallMs = this.o.stallMs ?? (Number(process.env.BERTH_BOOT_STALL_MS) || 30_000);
    this.stallTimer = setTimeout(() => {
      this.fail(
        `the guest printed nothing within ${stallMs / 1000} s of a hardware-accelerated boot (a stuck vCPU)`,
        true,
      );
    }, stallMs);
    try {
      this.watcher = fs.watch(this.o.consoleLog, () => this.checkMarker());
    } catch {
      /* no console file: the stall timer still bounds the boot */
    }
  }

  /** The engine is up: later failures are the running engine's business. */
  finish(): void {
    this.finished = true;
    this.cleanup();
  }

  /** QEMU's SHUTDOWN event says who ended the VM: guest-reset, guest-shutdown, host-signal, …. */
  private shutdownReason: string | null = null;

  private readonly onRunState = (ev: RunStateChange): void => {
    if (ev.change === 'shutdown' && ev.reason) this.shutdownReason = ev.reason;
    if (ev.change === 'shutdown') return;
    void this.vm.status().then(
      (state) => {
        if (BAD_RUN_STATES.has(state))
          this.fail(`the VM stopped in run state ${state}`, state !== 'shutdown' || !this.markerSeen);
      },
      () => undefined,
    );
  };

  private readonly onExit = (e: VmExit): void => {
    if (e.expected) return;
    // The SHUTDOWN event may still be in flight on the QMP socket: read it first.
    this.judging = new Promise((resolve) =>
      setTimeout(() => {
        const reason = this.shutdownReason;
        const how = e.signal ? `was killed by ${e.signal}` : `exited (${e.code}${reason ? `, ${reason}` : ''})`;
        // An abort, or any exit before the root system ran, under a hardware accelerator is its doing.
        const accel = e.signal === 'SIGABRT' || /kvm|hvf|whpx/i.test(e.stderr) || (this.o.hardware && !this.markerSeen);
        const guestEnded =
          e.code === 0 && !e.signal && (reason ? reason.startsWith('guest-') : !/terminating on signal/.test(e.stderr));
        this.fail(`QEMU ${how} while booting`, accel, e.stderr, guestEnded);
        resolve();
      }, 100),
    );
  };

  private judging: Promise<void> = Promise.resolve();

  /** The verdict once an exit seen so far is judged (a failed step may notice the exit first). */
  async judged(): Promise<BootVerdict | null> {
    await this.judging;
    return this.result;
  }

  private checkMarker(): void {
    if (this.markerSeen) return;
    try {
      if (!fs.readFileSync(this.o.consoleLog, 'utf8').includes(CONSOLE_MARKER)) return;
    } catch {
      return;
    }
    this.markerSeen = true;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.watcher?.close();
  }

  private fail(what: string, accelerator: boolean, stderr?: string, guestEnded = false): void {
    if (this.result || this.finished) return;
    this.checkMarker();
    const qemuSays = lastLines(stderr ?? this.vm.stderrText());
    this.result = {
      message: qemuSays ? `${what}: ${qemuSays}` : what,
      accelerator: accelerator && this.o.hardware,
      guestEnded,
      console: this.vm.consoleTail(20),
    };
    this.cleanup();
    if (this.vm.running) this.vm.kill();
    this.emit('verdict', this.result);
  }

  private cleanup(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.watcher?.close();
    this.watcher = null;
    this.vm.off('run-state', this.onRunState);
    this.vm.off('exit', this.onExit);
  }
}
