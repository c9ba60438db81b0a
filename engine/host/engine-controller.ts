// The engine's lifecycle: VM up, SSH up, docker socket forwarded, dockerd answering; and back down.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { chooseAccelerator, recordBootFailure, type Accelerator, type AcceleratorSetting, type ProbeDeps } from './accelerator.ts';
import { qemuBinary, type VmImage } from './qemu-args.ts';
import { BootSupervisor } from './boot-supervisor.ts';
import { ForwardedSocket, refuseHttp } from './forwarded-socket.ts';
import { qemuUdpForwards } from './qemu-hostfwd.ts';
import { QemuVm, type VmExit } from './qemu-vm.ts';
import { GuestSsh } from './guest-ssh.ts';
import { ensureKeys } from './keys.ts';
import { DataDir } from './paths.ts';
import { writeDockerContext } from './docker-context.ts';
import { ensureDataDisk, freeTcpPort, killStaleQemu, qemuVersion } from './vm-files.ts';
import { imageDir, locateImage } from '../image/locate.ts';
import { AgentClient } from './agent-client.ts';
import { installAgent } from './agent-installer.ts';
import type { AgentEvent, StoreName } from '../agent/messages.ts';
import type { EngineState, EngineStatus, StartStage } from './engine-types.ts';
import { PortForwarder, dockerSource } from './port-forwarder.ts';
import { FileSharing } from './file-sharing.ts';

export interface EngineOptions {
  data: DataDir;
  cpus?: number;
  memoryMiB?: number;
  diskGiB?: number;
  accelerator?: AcceleratorSetting;
  /** Write the `berth` docker context on start (off in tests, which set DOCKER_CONFIG anyway). */
  dockerContext?: boolean;
  bootTimeoutMs?: number;
  extraQemuArgs?: () => string[];
  /** The engine configuration the settings ask for; applied through the agent at every start. */
  /**
   * The engine configuration the settings ask for; applied through the agent at every start. It
   * gets the guest (dockerd up, no store applied yet) so it can look at the data disk first.
   */
  engineConfig?: (guest: { agent: AgentClient; ssh: GuestSsh }) => Promise<{ store: StoreName; userDaemonJson?: string }> | { store: StoreName; userDaemonJson?: string };
  /**
   * The whole daemon.json this boot should start dockerd with (store toggle + user keys), handed
   * over before dockerd's first start; null while the store is undecided (an old settings file).
   */
  bootDaemonJson?: () => string | null;
  /** Host folders shared into the VM at the same path (settings: fileSharing); none when absent. */
  fileSharing?: string[];
  /** Host-integration log lines (ports, file sharing); default: stdout with a timestamp. */
  log?: (line: string) => void;
}

/**
 * Emits 'status' (EngineStatus) on every change, 'stage' (StartStage) during a start and
 * 'agent-event' (AgentEvent) for what the guest agent reports.
 */
export class EngineController extends EventEmitter {
  private st: EngineStatus;
  private vm: QemuVm | null = null;
  private guestSsh: GuestSsh | null = null;
  /** The docker socket listens from the first start until stop, refusing clearly while down. */
  private readonly dockerSock: ForwardedSocket;
  private readonly agentSock: ForwardedSocket;
  private ports: PortForwarder | null = null;
  private sharing: FileSharing | null = null;
  private agentClient: AgentClient | null = null;
  private supervisor: BootSupervisor | null = null;
  private stopEvents: (() => void) | null = null;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: EngineOptions) {
    super();
    this.st = { state: 'stopped', dockerSocket: opts.data.dockerSocket, dataDir: opts.data.root };
    this.dockerSock = new ForwardedSocket(opts.data.dockerSocket, refuseHttp);
    this.agentSock = new ForwardedSocket(opts.data.agentSocket);
  }

  status(): EngineStatus { return structuredClone(this.st); }
  get guest(): GuestSsh {
    if (!this.guestSsh || this.st.state !== 'running') throw new Error(`the engine is not running (state: ${this.st.state})`);
    return this.guestSsh;
  }
  docker(): Docker { return new Docker({ socketPath: this.opts.data.dockerSocket }); }
  get agent(): AgentClient {
    if (!this.agentClient || this.st.state !== 'running') throw new Error(`the engine is not running (state: ${this.st.state})`);
    return this.agentClient;
  }

  /** Start, stop and restart run one at a time; a second call waits for the first. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  start(): Promise<EngineStatus> {
    return this.serial(async () => {
      if (this.st.state === 'running') return this.status();
      try {
        await this.boot();
      } catch (e) {
        const console = e instanceof BootError ? e.console : this.vm?.consoleTail(20) ?? [];
        await this.teardown();
        this.set('error', { error: { message: (e as Error).message, console }, stage: undefined });
        throw e;
      }
      return this.status();
    });
  }

  stop(): Promise<void> {
    return this.serial(async () => {
      if (!this.vm) {
        this.dockerSock.close();
        if (this.st.state !== 'error') this.set('stopped', {});
        return;
      }
      this.set('stopping', {});
      await this.vm.stop(30_000);
      await this.teardown();
      this.dockerSock.close();
      this.set('stopped', { error: undefined });
    });
  }

  async restart(): Promise<EngineStatus> {
    await this.stop();
    return this.start();
  }

  private async boot(): Promise<void> {
    const d = this.opts.data;
    const t0 = Date.now();
    const stage = (s: string, detail?: string): void => {
      const ev: StartStage = { stage: s, detail, elapsedMs: Date.now() - t0 };
      this.st.stage = s;
      this.emit('stage', ev);
      this.emit('status', this.status());
    };
    this.set('starting', { error: undefined, versions: undefined, bootMs: undefined });
    d.ensure();
    stage('image', imageDir());
    const image = locateImage();
    const qemu = qemuBinary();
    killStaleQemu(path.join(d.vmDir, 'qemu.pid'));
    ensureDataDisk(d.dataDisk, this.opts.diskGiB ?? 64);
    const setting = this.opts.accelerator ?? 'auto';
    const probe: ProbeDeps = { qemuBinary: qemu, kernel: image.kernel, cacheFile: path.join(d.vmDir, 'accelerator.json') };
    let accel = await chooseAccelerator(setting, probe);
    // A hardware accelerator that fails this boot is recorded and the boot runs again on TCG,
    // in the same start; on TCG (or a failure that is not the accelerator's) it is the error.
    for (;;) {
      stage('accelerator', `${accel.accel}: ${accel.reason}`);
      this.st.accelerator = accel.accel;
      this.st.acceleratorReason = accel.reason;
      this.st.emulated = accel.accel === 'tcg';
      try {
        await this.bringUp(accel.accel, image, qemu, stage);
        this.set('running', { stage: undefined, startedAt: new Date().toISOString(), bootMs: Date.now() - t0 });
        return;
      } catch (e) {
        const verdict = this.supervisor?.verdict;
        if (!verdict) throw e;
        if (!verdict.accelerator) throw new BootError(verdict.message, verdict.console);
        await this.teardown();
        stage('fallback', `${accel.accel} failed: ${verdict.message}`);
        accel = recordBootFailure(setting, probe, accel.accel, verdict.message);
      }
    }
  }

  /** One boot on one accelerator: QEMU up, SSH, sockets, dockerd, agent, store, ports. */
  private async bringUp(accel: Accelerator, image: VmImage, qemu: string, stage: (s: string, detail?: string) => void): Promise<void> {
    const d = this.opts.data;
    const keys = ensureKeys(d.keysDir);
    const sshPort = await freeTcpPort();
    // Host integration: the virtiofs daemons listen before QEMU connects to them.
    const memoryMiB = this.opts.memoryMiB ?? 2048;
    const sharing = await FileSharing.start({ folders: this.opts.fileSharing ?? [], runDir: d.runDir, logsDir: d.logsDir, memoryMiB, log: this.log });
    this.sharing = sharing;
    this.st.fileSharing = sharing.status();
    const vm = new QemuVm(qemu, {
      image, accel, cpus: this.opts.cpus ?? 2, memoryMiB,
      dataDisk: d.dataDisk, sshPort, qmpSocket: d.qmpSocket, consoleLog: d.consoleLog,
      authorizedKeysFile: keys.authorizedKeysFile, hostKeyFile: keys.hostKeyFile,
      pidFile: path.join(d.vmDir, 'qemu.pid'), daemonJsonFile: this.writeBootDaemonJson(), extra: [...sharing.qemuArgs(), ...(this.opts.extraQemuArgs?.() ?? [])],
    });
    this.vm = vm;
    vm.on('exit', (e: VmExit) => this.onVmExit(vm, e));
    const supervisor = new BootSupervisor(vm, { hardware: accel !== 'tcg', consoleLog: d.consoleLog });
    this.supervisor = supervisor;
    stage('boot', `QEMU ${accel}`);
    await vm.start();
    supervisor.watchConsole();
    this.st.qemuPid = vm.pid;
    this.st.sshPort = sshPort;
    stage('ssh', `127.0.0.1:${sshPort}`);
    const exitReason = (): string | null => (vm.running ? null : 'the VM stopped while booting');
    const ssh = await GuestSsh.waitForGuest({ port: sshPort, privateKey: keys.clientPrivateKey, hostPublicKey: keys.hostPublicKey },
      this.opts.bootTimeoutMs ?? 240_000, exitReason);
    this.attachSsh(ssh);
    this.st.fileSharing = sharing.verify((await ssh.exec('cat /proc/mounts')).stdout);
    stage('socket', d.dockerSocket);
    await this.dockerSock.listen();
    // The link is looked up per connection, so connections follow it when SSH reconnects.
    this.dockerSock.connect(() => this.link().openStreamLocal('/run/docker.sock'));
    stage('dockerd', 'waiting for the Docker Engine');
    // The agent upload overlaps dockerd's start-up. `systemctl start` on a Type=notify unit
    // returns when dockerd is ready: no polling.
    const agentInstalled = installAgent(ssh);
    const dockerd = await ssh.exec('systemctl start docker.service', { timeoutMs: 600_000 });
    if (dockerd.code !== 0) {
      // dockerd's own last words say what is wrong (a daemon.json key it rejects, …).
      const journal = await ssh.exec('journalctl -u docker.service -n 4 --no-pager -o cat').catch(() => null);
      throw new Error(`dockerd did not start: ${(journal?.stdout || dockerd.stderr).trim().split('\n').join(' / ')}`);
    }
    stage('agent', 'guest agent');
    await agentInstalled;
    await this.agentSock.listen();
    this.agentSock.connect(() => this.link().openStreamLocal('/run/berth/agent.sock'));
    const agent = new AgentClient(d.agentSocket);
    this.agentClient = agent;
    await agent.waitReady(60_000);
    this.subscribeAgentEvents(agent);
    const want = await this.opts.engineConfig?.({ agent, ssh });
    if (want) {
      stage('store', `${want.store} image store`);
      await agent.setImageStore(want.store, want.userDaemonJson);
    }
    const v = await this.docker().version();
    const kernel = (await ssh.run('uname -r')).trim();
    const runc = v.Components?.find((c) => c.Name === 'runc')?.Version;
    const containerd = v.Components?.find((c) => c.Name === 'containerd')?.Version;
    this.st.versions = { docker: v.Version, api: v.ApiVersion, containerd, runc, kernel, qemu: qemuVersion(qemu) };
    if (this.opts.dockerContext) {
      stage('context', 'docker context "berth"');
      writeDockerContext(d.dockerSocket);
    }
    supervisor.finish();
    this.startPorts();
  }

  private writeBootDaemonJson(): string | undefined {
    const text = this.opts.bootDaemonJson?.();
    if (!text) return undefined;
    const file = path.join(this.opts.data.runDir, 'daemon.json');
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  /** The current SSH link; connections look it up each time, so they follow a reconnect. */
  private link(): GuestSsh {
    if (!this.guestSsh || this.guestSsh.isClosed) throw new Error('the link to the VM is down (reconnecting)');
    return this.guestSsh;
  }

  private readonly log = (line: string): void => {
    if (this.opts.log) this.opts.log(line); else console.log(`${new Date().toISOString()} ${line}`);
  };

  /** Host integration: published ports follow docker events for as long as the engine runs. */
  private startPorts(): void {
    const ports = new PortForwarder({
      docker: () => dockerSource(this.docker()),
      // Looked up per connection: the link is replaced when SSH reconnects.
      connect: async (host, port) => this.link().connectTcp(host, port),
      udp: this.vm ? qemuUdpForwards(this.vm) : undefined,
      log: this.log,
    });
    ports.on('change', () => {
      if (this.ports !== ports) return;
      this.st.ports = ports.ports();
      this.st.portErrors = ports.portErrors();
      this.emit('status', this.status());
    });
    ports.on('port-error', (e) => this.emit('event', 'port-error', e));
    this.ports = ports;
    ports.start();
  }

  /** Relays agent events; resubscribes when the stream ends while the engine runs. */
  private subscribeAgentEvents(agent: AgentClient): void {
    this.stopEvents = agent.events((e: AgentEvent) => this.emit('agent-event', e), () => {
      if (this.agentClient === agent && this.st.state === 'running') setTimeout(() => this.subscribeAgentEvents(agent), 1000);
    });
  }

  /** A dropped SSH link (sshd restarted, host slept) is re-established while the VM runs. */
  private attachSsh(ssh: GuestSsh): void {
    this.guestSsh = ssh;
    ssh.once('close', () => {
      if (this.guestSsh !== ssh || !this.vm?.running || this.st.state !== 'running') return;
      void this.reconnect();
    });
  }

  private async reconnect(): Promise<void> {
    const keys = ensureKeys(this.opts.data.keysDir);
    const vm = this.vm;
    try {
      const ssh = await GuestSsh.waitForGuest({ port: this.st.sshPort!, privateKey: keys.clientPrivateKey, hostPublicKey: keys.hostPublicKey },
        60_000, () => (vm?.running ? null : 'VM gone'));
      if (this.vm !== vm) { ssh.end(); return; }
      // Forwarding servers look the client up per connection, so they follow the new link.
      this.attachSsh(ssh);
      this.emit('reconnected');
    } catch { /* the VM exit handler reports the failure */ }
  }

  private onVmExit(vm: QemuVm, e: VmExit): void {
    // During a start the boot itself fails (and the supervisor says why): one report, not two.
    if (this.vm !== vm || e.expected || this.st.state === 'starting') return;
    const why = e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
    const message = `the VM stopped unexpectedly (QEMU ${why})${e.stderr ? `: ${e.stderr.split('\n').pop()}` : ''}`;
    const console = vm.consoleTail(20);
    void this.teardown().then(() => this.set('error', { error: { message, console }, stage: undefined }));
  }

  private async teardown(): Promise<void> {
    this.stopEvents?.();
    this.stopEvents = null;
    this.agentClient?.close();
    this.agentClient = null;
    this.dockerSock.disconnect('the engine is not running');
    this.agentSock.close();
    await this.ports?.stop();
    this.ports = null;
    this.st.ports = undefined;
    this.st.portErrors = undefined;
    this.guestSsh?.end();
    this.guestSsh = null;
    this.supervisor?.finish();
    this.supervisor = null;
    if (this.vm?.running) this.vm.kill();
    this.vm = null;
    this.sharing?.stop();
    this.sharing = null;
    this.st.qemuPid = undefined;
    this.st.sshPort = undefined;
  }

  private set(state: EngineState, patch: Partial<EngineStatus>): void {
    this.st = { ...this.st, ...patch, state };
    if (state === 'starting') this.dockerSock.disconnect('the Berth engine is starting: try again in a moment');
    else if (state === 'error') this.dockerSock.disconnect(`the Berth engine is not running (${this.st.error?.message ?? 'it failed'}): run 'berth start'`);
    else if (state !== 'running') this.dockerSock.disconnect(`the Berth engine is not running (${state}): run 'berth start'`);
    this.emit('status', this.status());
  }
}

/** A boot that failed with the console lines that show how far it got. */
class BootError extends Error {
  constructor(message: string, readonly console: string[]) { super(message); }
}
