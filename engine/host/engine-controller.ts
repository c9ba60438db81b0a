// The engine's lifecycle: start (one EngineBoot, with a fallback to TCG when a hardware
// accelerator fails it, or a VM an earlier host left running: leftover-vm.ts), stop, restart, a VM
// that dies under it; the docker socket that refuses clearly while the engine is down; what follows
// a running boot (the agent's events, published ports, a link that drops: boot-watch.ts).
import { EventEmitter } from 'node:events';
import path from 'node:path';
import Docker from 'dockerode';
import { chooseAccelerator, recordBootFailure, type AcceleratorChoice, type ProbeDeps } from './accelerator.ts';
import { ForwardedSocket, refuseHttp } from './forwarded-socket.ts';
import { sshToGuest } from './guest-ssh.ts';
import type { ConnectGuest, GuestLink, StreamCarrier } from './guest-link.ts';
import { ensureDataDisk } from './vm-files.ts';
import { removeVmRecord, updateVmRecord, type VmRecord } from './vm-record.ts';
import { bootDaemonJson } from './boot-daemon-json.ts';
import { OperationJournal } from './operation-journal.ts';
import { interruptedNotice } from './resume-notice.ts';
import type { VmImage } from '../image/vm-image.ts';
import { imageDir, locateImage } from '../image/locate.ts';
import type { AgentClient } from './agent-client.ts';
import type { AgentEvent } from '../agent/agent-types.ts';
import type { EngineState, EngineStatus, StartStage, StartStageName } from './engine-types.ts';
import type { VmDriver, VmExit, VmHandle } from './vm-driver.ts';
import { qemuDriver } from './qemu-driver.ts';
import { EngineBoot, type BootEnv } from './engine-boot.ts';
import { BootStepError } from './boot-steps.ts';
import { bootEnvOf, type EngineOptions } from './engine-options.ts';
import { BootWatch } from './boot-watch.ts';
import { LeftoverVm } from './leftover-vm.ts';

/**
 * Emits 'status' (EngineStatus) on every change, 'stage' (StartStage) during a start and
 * 'agent-event' (AgentEvent) for what the guest agent reports.
 */
export class EngineController extends EventEmitter {
  private st: EngineStatus;
  private boot: EngineBoot | null = null;
  /** The docker socket listens from the first start until stop, refusing clearly while down. */
  private readonly dockerSock: ForwardedSocket;
  private readonly agentSock: ForwardedSocket;
  private readonly driver: VmDriver;
  private readonly connectGuest: ConnectGuest;
  /** What follows the running boot: agent events, published ports, the link (boot-watch.ts). */
  private watching: BootWatch | null = null;
  /** A VM an earlier host left running, and the record left for the next host (leftover-vm.ts). */
  private readonly leftover: LeftoverVm;
  private busy: Promise<unknown> = Promise.resolve();
  /** Why a leftover VM was stopped instead of adopted: said until the next start has run. */
  private retired: string | null = null;
  /** What this host is in the middle of, for the next host should this one die. */
  readonly journal: OperationJournal;

  constructor(private readonly opts: EngineOptions) {
    super();
    this.st = { state: 'stopped', dockerSocket: opts.data.dockerSocket, dataDir: opts.data.root };
    this.dockerSock = new ForwardedSocket(opts.data.dockerSocket, refuseHttp);
    this.agentSock = new ForwardedSocket(opts.data.agentSocket);
    this.driver = opts.driver ?? qemuDriver();
    this.connectGuest = opts.connectGuest ?? sshToGuest(opts.data);
    this.journal = new OperationJournal(opts.data);
    this.leftover = new LeftoverVm({
      data: opts.data,
      driver: this.driver,
      connectGuest: this.connectGuest,
      log: this.log,
      bootEnv: () => this.bootEnv(),
      begin: (accel, image) => this.begin(accel, image),
      teardown: (keepVm) => this.teardown(keepVm),
      adopted: (boot, record) => this.adopted(boot, record),
    });
  }

  status(): EngineStatus {
    return structuredClone(this.st);
  }
  /** The link to the running guest (commands, streams). */
  get guest(): GuestLink {
    const boot = this.boot;
    if (!boot || this.st.state !== 'running') throw new Error(`the engine is not running (state: ${this.st.state})`);
    return boot.guestLink();
  }
  docker(): Docker {
    return new Docker({ socketPath: this.opts.data.dockerSocket });
  }
  /** Follows what the guest agent reports until the returned function is called. */
  onAgentEvent(listener: (e: AgentEvent) => void): () => void {
    this.on('agent-event', listener);
    return () => {
      this.off('agent-event', listener);
    };
  }
  get agent(): AgentClient {
    const agent = this.boot?.agent;
    if (!agent || this.st.state !== 'running') throw new Error(`the engine is not running (state: ${this.st.state})`);
    return agent;
  }

  /** Start, stop and restart run one at a time; a second call waits for the first. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  start(): Promise<EngineStatus> {
    return this.serial(() => this.startOrFail(false));
  }

  /** adoptOnly: a leftover VM is adopted, or retired with the engine left stopped; nothing boots. */
  private async startOrFail(adoptOnly: boolean): Promise<EngineStatus> {
    if (this.st.state === 'running') return this.status();
    try {
      await this.startEngine(adoptOnly);
    } catch (e) {
      const console =
        e instanceof BootStepError && e.console.length ? e.console : (this.boot?.vm?.consoleTail(20) ?? []);
      const step = e instanceof BootStepError ? e.step : undefined;
      await this.teardown();
      this.set('error', { error: { message: (e as Error).message, console, step }, stage: undefined });
      throw e;
    }
    return this.status();
  }

  stop(): Promise<void> {
    return this.serial(async () => {
      if (!this.boot?.vm) {
        this.dockerSock.close();
        if (this.st.state !== 'error') this.set('stopped', {});
        return;
      }
      this.set('stopping', {});
      // Published ports and their docker events stream go first: nothing retries against a VM
      // that is shutting down, and no open stream holds dockerd's shutdown up.
      await this.watching?.stopPorts();
      // The guest is asked to power off: the VM has no logind to act on the ACPI power button
      // (engine/image/customize.sh). The button, then a kill, remain for a guest that cannot be asked.
      const asked = this.boot
        .guestLink()
        .exec('systemctl poweroff --no-block', { timeoutMs: 5_000 })
        .catch(() => undefined);
      await Promise.race([asked, new Promise((r) => setTimeout(r, 5_000).unref())]);
      const exit = await this.boot.vm.stop(30_000);
      if (exit.signal)
        this.log(
          `engine: the VM did not power off within 30 s: ${exit.signal === 'SIGKILL' ? 'killed' : `ended by ${exit.signal}`}`,
        );
      removeVmRecord(this.opts.data);
      await this.teardown();
      this.dockerSock.close();
      this.set('stopped', { error: undefined });
    });
  }

  restart(): Promise<EngineStatus> {
    return this.journal.run({ kind: 'vm-restart' }, async () => {
      await this.stop();
      return this.start();
    });
  }

  /**
   * At a host's start: a VM an earlier host left running is adopted, or stopped when it cannot be
   * (a host started for `berth status` or `berth stop` must not boot one). Nothing happens when no
   * such VM runs.
   */
  async resume(): Promise<EngineStatus> {
    if (this.driver.findLeftover(this.opts.data) === null) {
      removeVmRecord(this.opts.data);
      const op = this.journal.takeInterrupted();
      if (op) this.st.notices = [interruptedNotice(op, 'stopped')];
      return this.status();
    }
    return this.serial(() => this.startOrFail(true)).catch(() => this.status());
  }

  private async startEngine(adoptOnly = false): Promise<void> {
    const d = this.opts.data;
    const t0 = Date.now();
    const timeline: NonNullable<EngineStatus['timeline']> = [];
    const stage = (s: StartStageName, detail?: string): void => {
      const ev: StartStage = { stage: s, detail, elapsedMs: Date.now() - t0 };
      this.st.stage = s;
      this.emit('stage', ev);
      this.emit('status', this.status());
    };
    // A command racing this start (two 'berth start' at once) still reads why the old VM went.
    this.set('starting', {
      error: undefined,
      versions: undefined,
      bootMs: undefined,
      timeline,
      guestTimeline: undefined,
      adopted: undefined,
      notices: this.retired ? [this.retired] : undefined,
    });
    d.ensure();
    stage('image', imageDir());
    const image = locateImage();
    const interrupted = this.journal.takeInterrupted();
    const left = await this.leftover.resume(image, interrupted === null, t0, stage);
    if (left === 'adopted') {
      if (interrupted)
        this.st.notices = [
          interruptedNotice(interrupted, 'adopted', this.boot?.storeResult?.store, this.boot?.storeResult?.changed),
        ];
      this.emit('status', this.status());
      return;
    }
    if (left) this.retired = left;
    if (adoptOnly) {
      const notices = [this.retired, interrupted ? interruptedNotice(interrupted, 'stopped') : null].filter(
        (n) => n !== null,
      );
      this.set('stopped', { stage: undefined, ...(notices.length ? { notices } : {}) });
      return;
    }
    ensureDataDisk(d.dataDisk, this.opts.diskGiB ?? 64, image.dataTemplate);
    const setting = this.opts.accelerator ?? 'auto';
    const probe: ProbeDeps = {
      qemuBinary: this.driver.binary,
      kernel: image.kernel,
      cacheFile: path.join(d.vmDir, 'accelerator.json'),
      probe: this.opts.probe,
    };
    const probing = Date.now();
    let accel = await chooseAccelerator(setting, probe);
    timeline.push({ stage: 'accelerator', detail: accel.accel, startMs: probing - t0, ms: Date.now() - probing });
    // A hardware accelerator that fails this boot is recorded and the boot runs again on TCG,
    // in the same start; on TCG (or a failure that is not the accelerator's) it is the error.
    // A guest that reset or powered itself off while booting gets one more boot (logged, and in
    // the start's progress): a second time, it is the error, with the console lines that show why.
    let guestRetry = true;
    for (;;) {
      stage('accelerator', `${accel.accel}: ${accel.reason}`);
      const boot = this.begin(accel, image);
      try {
        await boot.run(t0, stage);
        timeline.push(...boot.timeline);
        this.watch(boot);
        this.set('running', {
          stage: undefined,
          startedAt: new Date().toISOString(),
          bootMs: Date.now() - t0,
          timeline,
          notices: this.startNotices(
            interrupted ? interruptedNotice(interrupted, 'replaced', boot.storeResult?.store) : null,
          ),
        });
        this.leftover.record(boot, image, accel, this.st);
        return;
      } catch (e) {
        timeline.push(...boot.timeline);
        const verdict = (await boot.supervisor?.judged()) ?? null;
        if (!verdict) throw e;
        const step = e instanceof BootStepError ? e.step : 'boot';
        if (!verdict.accelerator && verdict.guestEnded && guestRetry) {
          guestRetry = false;
          this.log(
            `boot: ${verdict.message}; booting once more (that boot's whole console is kept in ${path.basename(this.opts.data.previousConsoleLog)}). Last console lines:\n  ${verdict.console.join('\n  ')}`,
          );
          await this.teardown();
          stage('retry', verdict.message);
          continue;
        }
        if (!verdict.accelerator) throw new BootStepError(step, new Error(verdict.message), verdict.console);
        await this.teardown();
        stage('fallback', `${accel.accel} failed: ${verdict.message}`);
        accel = recordBootFailure(setting, probe, accel.accel, verdict.message);
      }
    }
  }

  /** The notices of a finished start: why a leftover VM was stopped (said once more), what was interrupted. */
  private startNotices(interrupted: string | null): string[] | undefined {
    const notices = [this.retired, interrupted].filter((n) => n !== null);
    this.retired = null;
    return notices.length ? notices : undefined;
  }

  /** A switch or daemon.json change applied: what the next host may take for granted. */
  noteEngineConfig(store: 'containerd' | 'classic', userDaemonJson: string): void {
    updateVmRecord(this.opts.data, { daemonJson: bootDaemonJson(store, userDaemonJson) });
  }

  /** A boot on this accelerator, made the engine's current one (to boot, or to adopt a VM). */
  private begin(a: AcceleratorChoice, image: VmImage): EngineBoot {
    this.st.accelerator = a.accel;
    this.st.acceleratorReason = a.reason;
    this.st.emulated = a.accel === 'tcg';
    this.boot = new EngineBoot(this.bootEnv(), a.accel, image);
    return this.boot;
  }

  /** An adopted VM runs here: its containers' published ports answer again before it counts as taken over. */
  private async adopted(boot: EngineBoot, record: VmRecord): Promise<void> {
    this.watch(boot);
    await Promise.race([this.watching?.ports?.firstSync, new Promise((r) => setTimeout(r, 10_000).unref())]);
    const adopted = { pid: record.pid, at: new Date().toISOString() };
    this.set('running', {
      stage: undefined,
      startedAt: record.startedAt,
      bootMs: record.bootMs,
      timeline: boot.timeline,
      adopted,
    });
  }

  private bootEnv(): BootEnv {
    return bootEnvOf(this.opts, {
      driver: this.driver,
      connectGuest: this.connectGuest,
      dockerSock: this.dockerSock,
      agentSock: this.agentSock,
      log: this.log,
      patch: (p) => {
        Object.assign(this.st, p);
      },
      streams: () => this.streamCarrier(),
    });
  }

  /** A running engine: its VM's exit, and what follows its boot (boot-watch.ts). */
  private watch(boot: EngineBoot): void {
    const vm = boot.vm!;
    boot.supervisor?.finish();
    vm.on('exit', (e: VmExit) => this.onVmExit(vm, e));
    this.watching = new BootWatch(boot, vm, boot.agent!, {
      boot: () => this.boot,
      running: () => this.st.state === 'running',
      patch: (p) => {
        Object.assign(this.st, p);
        this.emit('status', this.status());
      },
      emit: (event, ...args) => this.emit(event, ...args),
      connectGuest: this.connectGuest,
      docker: () => this.docker(),
      streams: () => this.streamCarrier(),
      guest: () => this.guest,
      log: this.log,
    });
  }

  /** The current link; connections look it up each time, so they follow a reconnect. */
  private link(): GuestLink {
    const link = this.boot?.link;
    if (!link || link.isClosed) throw new Error('the link to the VM is down (reconnecting)');
    return link;
  }

  /** Streams take the virtio-serial mux when it is up, the SSH link otherwise. */
  streamCarrier(): StreamCarrier {
    const mux = this.boot?.mux;
    return mux?.ready ? mux : this.link();
  }

  private readonly log = (line: string): void => {
    if (this.opts.log) this.opts.log(line);
    else console.log(`${new Date().toISOString()} ${line}`);
  };

  private onVmExit(vm: VmHandle, e: VmExit): void {
    if (this.boot?.vm !== vm || e.expected) return;
    removeVmRecord(this.opts.data);
    const why = e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
    const message = `the VM stopped unexpectedly (${this.driver.name} ${why})${e.stderr ? `: ${e.stderr.split('\n').pop()}` : ''}`;
    const console = vm.consoleTail(20);
    void this.teardown().then(() => this.set('error', { error: { message, console }, stage: undefined }));
  }

  private async teardown(keepVm = false): Promise<void> {
    this.watching?.stopEvents();
    this.dockerSock.disconnect('the engine is not running');
    this.agentSock.close();
    await this.watching?.stopPorts();
    this.watching = null;
    this.st.ports = undefined;
    this.st.portErrors = undefined;
    // Forgotten first, so nothing that fires during the teardown takes it for the running boot.
    const boot = this.boot;
    this.boot = null;
    boot?.teardown(keepVm);
    this.st.vmPid = undefined;
    this.st.sshPort = undefined;
  }

  private set(state: EngineState, patch: Partial<EngineStatus>): void {
    this.st = { ...this.st, ...patch, state };
    if (state === 'starting') this.dockerSock.disconnect('the Berth engine is starting: try again in a moment');
    else if (state === 'error')
      this.dockerSock.disconnect(
        `the Berth engine is not running (${this.st.error?.message ?? 'it failed'}): run 'berth start'`,
      );
    else if (state !== 'running')
      this.dockerSock.disconnect(`the Berth engine is not running (${state}): run 'berth start'`);
    this.emit('status', this.status());
  }
}
