// One boot of the engine on one accelerator, as named steps: the VM up (watched by the boot
// supervisor), the guest link, the docker socket, dockerd, the guest agent, the image store, the
// versions. It owns what it started, so a failed or finished engine is torn down in one place.
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { z } from 'zod';
import type { Accelerator } from './accelerator.ts';
import type { VmImage } from './qemu-args.ts';
import type { VmDriver, VmHandle } from './vm-driver.ts';
import type { ConnectGuest, GuestLink, StreamCarrier } from './guest-link.ts';
import { MuxLink } from './mux-link.ts';
import type { ForwardedSocket } from './forwarded-socket.ts';
import type { EngineStatus } from './engine-types.ts';
import type { StoreName } from '../agent/agent-types.ts';
import { BootSupervisor } from './boot-supervisor.ts';
import { runSteps, type BootStep, type TimelineEntry } from './boot-steps.ts';
import { AgentClient } from './agent-client.ts';
import { agentBundle, installAgent } from './agent-installer.ts';
import { AgentBootPort } from './agent-boot-port.ts';
import { ensureKeys } from './keys.ts';
import { FileSharing } from './file-sharing.ts';
import { freeTcpPort } from './vm-files.ts';
import { writeDockerContext } from './docker-context.ts';
import type { DataDir } from './paths.ts';

export type EngineConfig = { store: StoreName; userDaemonJson?: string };

/** What one boot needs from the engine around it. */
export interface BootEnv {
  data: DataDir;
  driver: VmDriver;
  connectGuest: ConnectGuest;
  dockerSock: ForwardedSocket;
  agentSock: ForwardedSocket;
  cpus: number;
  memoryMiB: number;
  fileSharing: string[];
  bootTimeoutMs: number;
  dockerContext: boolean;
  extraQemuArgs: string[];
  bootDaemonJson: string | null;
  engineConfig?: (guest: { agent: AgentClient; ssh: GuestLink }) => Promise<EngineConfig> | EngineConfig;
  log: (line: string) => void;
  /** Status fields this boot learns (pid, port, versions, file sharing). */
  patch: (p: Partial<EngineStatus>) => void;
  /** Where streams go now (the mux, or the current SSH link), looked up per connection. */
  streams: () => StreamCarrier;
}

export class EngineBoot {
  vm: VmHandle | null = null;
  link: GuestLink | null = null;
  /** The data plane without SSH, once the guest agent answers on it. */
  mux: MuxLink | null = null;
  agent: AgentClient | null = null;
  supervisor: BootSupervisor | null = null;
  sshPort = 0;
  readonly timeline: TimelineEntry[] = [];
  private sharing: FileSharing | null = null;

  constructor(private readonly env: BootEnv, readonly accel: Accelerator, private readonly image: VmImage) {}

  run(t0: number, onStage: (name: string, detail?: string) => void): Promise<void> {
    return runSteps(this.steps(), t0, onStage, this.timeline);
  }

  steps(): BootStep[] {
    const e = this.env;
    return [
      { name: 'boot', detail: () => `${e.driver.name} ${this.accel}`, run: () => this.launch() },
      { name: 'ssh', detail: () => `127.0.0.1:${this.sshPort}`, run: () => this.connect() },
      { name: 'socket', detail: () => e.data.dockerSocket, run: () => this.serveDockerSocket() },
      { name: 'dockerd', detail: () => 'waiting for the Docker Engine', run: () => this.startDockerd() },
      { name: 'agent', detail: () => 'guest agent', run: () => this.startAgent() },
      { name: 'store', prepare: () => this.decideEngineConfig(), detail: () => (this.want ? `${this.want.store} image store` : 'image store'), run: () => this.applyEngineConfig() },
      // Read early (see startDockerd); once more if that read met dockerd restarting for the store.
      { name: 'versions', run: () => (this.versionsRead ?? Promise.reject(new Error('not read yet'))).catch(() => this.readVersions()) },
      ...(e.dockerContext ? [{ name: 'context', detail: () => 'docker context "berth"', run: async () => { writeDockerContext(e.data.dockerSocket); } }] : []),
    ];
  }

  /** Stops what this boot started; the VM is killed if it still runs. */
  teardown(): void {
    this.tornDown = true;
    this.supervisor?.finish();
    this.agent?.close();
    this.mux?.close();
    this.bootPort?.close();
    this.link?.end();
    if (this.vm?.running) this.vm.kill();
    this.sharing?.stop();
  }

  private async launch(): Promise<void> {
    const e = this.env;
    const d = e.data;
    const keys = ensureKeys(d.keysDir);
    this.sshPort = await freeTcpPort();
    // Host integration: the virtiofs daemons listen before the VM connects to them.
    const sharing = await FileSharing.start({ folders: e.fileSharing, runDir: d.runDir, logsDir: d.logsDir, memoryMiB: e.memoryMiB, log: e.log });
    this.sharing = sharing;
    e.patch({ fileSharing: sharing.status() });
    const vm = e.driver.create({
      image: this.image, accel: this.accel, cpus: e.cpus, memoryMiB: e.memoryMiB,
      dataDisk: d.dataDisk, sshPort: this.sshPort, qmpSocket: d.qmpSocket, consoleLog: d.consoleLog,
      authorizedKeysFile: keys.authorizedKeysFile, hostKeyFile: keys.hostKeyFile,
      pidFile: path.join(d.vmDir, 'qemu.pid'), daemonJsonFile: this.writeDaemonJson(), muxSocket: d.muxSocket, bootSocket: d.bootSocket,
      extra: [...sharing.qemuArgs(), ...e.extraQemuArgs],
    });
    this.vm = vm;
    // Watching starts before the VM does: an abort in its first milliseconds is a verdict too.
    this.supervisor = new BootSupervisor(vm, { hardware: this.accel !== 'tcg', consoleLog: d.consoleLog });
    await vm.start();
    this.supervisor.watchConsole();
    // The agent rides along with the boot (berth-init takes it); SSH only checks it later.
    this.bundle = agentBundle();
    this.bundle.catch(() => undefined); // awaited in the dockerd step
    this.bootPort = new AgentBootPort(d.bootSocket, e.log);
    void this.bootPort.offer(this.bundle).catch((err: Error) => e.log(`agent: boot port: ${err.message}`));
    // Until the guest agent answers on it, streams take the SSH link.
    // QEMU made the port's socket before it answered QMP: a short wait is plenty.
    this.mux = await MuxLink.connect(d.muxSocket, 1000).catch((err: Error) => { e.log(`data plane: ${err.message}; streams go over SSH`); return null; });
    e.patch({ qemuPid: vm.pid, sshPort: this.sshPort });
  }

  private writeDaemonJson(): string | undefined {
    if (!this.env.bootDaemonJson) return undefined;
    const file = path.join(this.env.data.runDir, 'daemon.json');
    fs.writeFileSync(file, this.env.bootDaemonJson, { mode: 0o600 });
    return file;
  }

  private async connect(): Promise<void> {
    const vm = this.vm!;
    this.link = await this.env.connectGuest(this.sshPort, this.env.bootTimeoutMs, () => (vm.running ? null : 'the VM stopped while booting'));
    // The agent's check and start-up overlap dockerd's: under emulation both take seconds, and
    // the agent needs nothing of dockerd. The agent step only collects the result.
    this.agentReady = this.prepareAgent(this.link);
    this.agentReady.catch(() => undefined); // awaited in the agent step
    this.env.patch({ fileSharing: this.sharing!.verify((await this.link.exec('cat /proc/mounts')).stdout) });
  }

  private async serveDockerSocket(): Promise<void> {
    await this.env.dockerSock.listen();
    this.env.dockerSock.connect(() => this.env.streams().openStreamLocal('/run/docker.sock'));
  }

  private agentReady: Promise<void> | null = null;
  private tornDown = false;
  private bundle: Promise<Buffer> | null = null;
  private bootPort: AgentBootPort | null = null;

  private async startDockerd(): Promise<void> {
    const link = this.link!;
    // `systemctl start` on a Type=notify unit returns when dockerd is ready: no polling.
    const dockerd = await link.exec('systemctl start docker.service', { timeoutMs: 600_000 });
    if (dockerd.code !== 0) {
      // berth-init refusing the data disk says so; otherwise dockerd's own last words say what
      // is wrong (a daemon.json key it rejects, …).
      const init = await link.exec('journalctl -u berth-init.service -b --no-pager -o cat | grep "berth-init: error:"').catch(() => null);
      const refused = init?.stdout.trim().split('\n').pop()?.replace(/^berth-init: error: /, '');
      if (refused) throw new Error(`the VM did not start the engine: ${refused}`);
      const journal = await link.exec('journalctl -u docker.service -n 4 --no-pager -o cat').catch(() => null);
      throw new Error(`dockerd did not start: ${(journal?.stdout || dockerd.stderr).trim().split('\n').join(' / ')}`);
    }
    // The versions need only dockerd: read beside the agent and store steps, collected after them
    // (a store change restarts the same binaries).
    this.versionsRead = this.readVersions();
    this.versionsRead.catch(() => undefined); // awaited in the versions step
  }

  private versionsRead: Promise<void> | null = null;

  private async startAgent(): Promise<void> {
    await this.agentReady;
  }

  private async prepareAgent(link: GuestLink): Promise<void> {
    await installAgent(link, await this.bundle!);
    // The agent serves the mux: once it answers there, every stream leaves SSH.
    const onMux = (await this.mux?.whenReady(30_000)) ?? false;
    if (this.mux && !onMux) this.env.log('data plane: the guest agent did not answer on the virtio-serial port; streams go over SSH');
    // A boot that failed meanwhile (dockerd) must not leave a socket or a client behind.
    if (this.tornDown) throw new Error('the start was abandoned');
    this.env.patch({ dataPlane: onMux ? 'virtio-serial' : 'ssh' });
    await this.env.agentSock.listen();
    this.env.agentSock.connect(() => this.env.streams().openStreamLocal('/run/berth/agent.sock'));
    const agent = new AgentClient(this.env.data.agentSocket);
    this.agent = agent;
    await agent.waitReady(60_000);
  }

  private want: EngineConfig | null = null;

  /** What the settings ask of this start (they may look at the data disk through the agent first). */
  private async decideEngineConfig(): Promise<void> {
    this.want = (await this.env.engineConfig?.({ agent: this.agent!, ssh: this.link! })) ?? null;
  }

  private async applyEngineConfig(): Promise<void> {
    const want = this.want;
    if (!want) return;
    const r = await this.agent!.setImageStore(want.store, want.userDaemonJson);
    this.env.log(`engine: the ${want.store} image store is active${r.changed ? ' (dockerd restarted to apply it)' : ''}`);
  }

  /** One Docker API call through the socket just served (a CLI in the VM costs seconds under emulation). */
  private async readVersions(): Promise<void> {
    const v = DockerVersionSchema.parse(await new Docker({ socketPath: this.env.data.dockerSocket }).version());
    const component = (name: string): string | undefined => v.Components?.find((c) => c.Name === name)?.Version;
    this.env.patch({ versions: { docker: v.Version, api: v.ApiVersion, containerd: component('containerd'), runc: component('runc'), kernel: v.KernelVersion, qemu: this.env.driver.version() } });
  }
}

/** The part of the Docker API's /version read here (validated: it comes from the VM). */
const DockerVersionSchema = z.object({
  Version: z.string().optional(),
  ApiVersion: z.string().optional(),
  KernelVersion: z.string().optional(),
  Components: z.array(z.object({ Name: z.string(), Version: z.string() })).nullish(),
});
