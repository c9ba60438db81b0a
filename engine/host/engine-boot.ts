// One boot of the engine on one accelerator, as named steps: the VM up (watched by the boot
// supervisor), the guest link, the docker socket, dockerd, the guest agent, the image store, the
// versions. It owns what it started, so a failed or finished engine is torn down in one place.
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { Accelerator } from './accelerator.ts';
import type { VmImage } from '../image/vm-image.ts';
import type { SharedFolders, VmDriver, VmHandle, VmSpec } from './vm-driver.ts';
import type { VmRecord } from './vm-record.ts';
import { qemuPidFile } from './stale-vm.ts';
import type { ConnectGuest, GuestLink, StreamCarrier } from './guest-link.ts';
import { MuxLink } from './mux-link.ts';
import type { ForwardedSocket } from './forwarded-socket.ts';
import type { EngineStatus, StartStageName } from './engine-types.ts';
import type { StartEngineReply, StoreName } from '../agent/agent-types.ts';
import { BootSupervisor } from './boot-supervisor.ts';
import { BootStepError, stepper, type RunStep, type TimelineEntry } from './boot-steps.ts';
import type { AgentClient } from './agent-client.ts';
import { agentBundle } from './agent-installer.ts';
import { BootAgent } from './boot-agent.ts';
import { endedWith, quietly, type Launched } from './launched-vm.ts';
import { engineVersions } from './docker-versions.ts';
import { AgentBootPort } from './agent-boot-port.ts';
import { ensureKeys } from './keys.ts';
import { FileSharing } from './file-sharing.ts';
import { forwardShareEvents, type ShareEvents } from './share-events.ts';
import { freeTcpPort } from './vm-files.ts';
import { writeDockerContext } from './docker-context.ts';
import { PendingLink } from './pending-link.ts';
import { bootDaemonJson } from './boot-daemon-json.ts';
import type { DataDir } from './paths.ts';
import { DOCKER_SOCKET } from '../agent/guest-sockets.ts';

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

/** dockerd up: the daemon.json it started with, and its versions being read beside the next step. */
interface DockerdUp {
  daemonJson: string | null;
  versions: Promise<void>;
}

export class EngineBoot {
  vm: VmHandle | null = null;
  link: GuestLink | null = null;
  /** The data plane without SSH, once the guest agent answers on it. */
  mux: MuxLink | null = null;
  supervisor: BootSupervisor | null = null;
  sshPort = 0;
  readonly timeline: TimelineEntry[] = [];
  private sharing: FileSharing | null = null;
  private shareEvents: ShareEvents | null = null;
  /** The guest agent: the boot's own on the data port, or installed over SSH (boot-agent.ts). */
  private readonly agents: BootAgent;

  constructor(
    private readonly env: BootEnv,
    readonly accel: Accelerator,
    private readonly image: VmImage,
  ) {
    this.agents = new BootAgent(
      env,
      () => this.whenLinked(),
      () => this.tornDown,
    );
  }

  get agent(): AgentClient | null {
    return this.agents.client;
  }

  /** A fresh boot: each step gets what the steps before it made. */
  async run(t0: number, onStage: (name: StartStageName, detail?: string) => void): Promise<void> {
    const e = this.env;
    const step = stepper(t0, onStage, this.timeline);
    const up = await step('boot', { detail: () => `${e.driver.name} ${this.accel}`, run: () => this.launch() });
    await step('socket', { detail: () => e.data.dockerSocket, run: () => this.serveDockerSocket() });
    const { agent, engineStarted } = await step('agent', {
      detail: () => 'guest agent',
      run: () => this.agents.start(up),
    });
    const dockerd = await step('dockerd', {
      detail: () => 'waiting for the Docker Engine',
      run: () => this.startDockerd(up, agent, engineStarted),
    });
    await this.storeStep(step, agent, dockerd.daemonJson);
    // Read beside the store step; once more if that read met dockerd restarting for the store.
    await step('versions', { run: () => dockerd.versions.catch(() => this.readVersions()) });
    if (e.dockerContext)
      await step('context', {
        detail: () => 'docker context "berth"',
        run: async () => {
          writeDockerContext(e.data.dockerSocket);
        },
      });
  }

  /** The store the settings ask for (they may look at the data disk first), applied unless dockerd runs it already. */
  private storeStep(step: RunStep<StartStageName>, agent: AgentClient, startedWith: string | null): Promise<void> {
    return step('store', {
      prepare: async () => (await this.env.engineConfig?.({ agent, ssh: this.guestLink() })) ?? null,
      detail: (want) => (want ? `${want.store} image store` : 'image store'),
      run: (want) => this.applyEngineConfig(agent, want, startedWith),
    });
  }

  /** Stops what this boot started; the VM is killed if it still runs (unless kept, for its replacement). */
  teardown(keepVm = false): void {
    this.tornDown = true;
    this.supervisor?.finish();
    this.agent?.close();
    this.mux?.close();
    this.bootPort?.close();
    this.link?.end();
    if (this.vm?.running && !keepVm) this.vm.kill();
    this.sharing?.stop();
    this.shareEvents?.stop();
  }

  private async launch(): Promise<Launched> {
    const e = this.env;
    const d = e.data;
    const keys = ensureKeys(d.keysDir);
    this.sshPort = await freeTcpPort();
    // Host integration: the virtiofs daemons listen before the VM connects to them.
    const sharing = await FileSharing.start({
      folders: e.fileSharing,
      runDir: d.runDir,
      logsDir: d.logsDir,
      log: e.log,
    });
    this.sharing = sharing;
    e.patch({ fileSharing: sharing.status() });
    this.shareEvents = forwardShareEvents(
      sharing.status().shared,
      () => this.agent,
      e.log,
      () => this.docker(),
    );
    const spec = this.vmSpec(keys, sharing.devices());
    const vm = e.driver.create({ ...spec, bootFiles: { ...spec.bootFiles, daemonJson: this.writeDaemonJson() } });
    this.vm = vm;
    // Watching starts before the VM does: an abort in its first milliseconds is a verdict too.
    this.supervisor = new BootSupervisor(vm, { hardware: this.accel !== 'tcg', consoleLog: d.consoleLog });
    await vm.start();
    // The agent's calls wait for it to listen: a VM that ends meanwhile must end those waits.
    const ended = endedWith(vm, 'the VM stopped while booting');
    this.supervisor.watchConsole();
    // The agent rides along with the boot (berth-agent-fetch takes it); SSH installs it only when
    // the agent does not answer on the data port, or is another build.
    const bundle = quietly(agentBundle());
    this.bootPort = new AgentBootPort(d.bootSocket, e.log);
    void this.bootPort.offer(bundle).catch((err: Error) => e.log(`agent: boot port: ${err.message}`));
    // Until the guest agent answers on it, streams take the SSH link.
    // QEMU made the port's socket before it answered QMP: a short wait is plenty.
    const mux = await MuxLink.connect(d.muxSocket, 1000).catch((err: Error) => {
      e.log(`data plane: ${err.message}; streams go over SSH`);
      return null;
    });
    this.mux = mux;
    e.patch({ vmPid: vm.pid, sshPort: this.sshPort });
    // Without the data port, SSH carries everything: connect at once.
    if (!mux) void this.whenLinked().catch(() => undefined);
    return { vm, ended, bundle, mux };
  }

  /** The VM as this host starts it, or finds it started by an earlier host. */
  private vmSpec(keys: ReturnType<typeof ensureKeys>, shares: SharedFolders = { devices: [] }): VmSpec {
    const e = this.env;
    const d = e.data;
    return {
      image: this.image,
      accel: this.accel,
      cpus: e.cpus,
      memoryMiB: e.memoryMiB,
      dataDisk: d.dataDisk,
      sshPort: this.sshPort,
      consoleLog: d.consoleLog,
      bootFiles: { authorizedKeys: keys.authorizedKeysFile, hostKey: keys.hostKeyFile },
      channels: { mux: d.muxSocket, boot: d.bootSocket },
      shares,
      control: { socket: d.qmpSocket, pidFile: qemuPidFile(d) },
      hypervisorArgs: e.extraQemuArgs,
    };
  }

  /**
   * Takes over the VM an earlier host left running, without restarting anything in it: QEMU's
   * QMP and data port, the agent (replaced over SSH if it is another build), the docker socket,
   * the store the settings name (a switch cut off with that host completes here), the versions.
   */
  async adopt(
    record: VmRecord,
    trusted: boolean,
    t0: number,
    onStage: (name: StartStageName, detail?: string) => void,
  ): Promise<void> {
    const step = stepper(t0, onStage, this.timeline);
    const up = await step('adopt', {
      detail: () => `${this.env.driver.name} pid ${record.pid}`,
      run: () => this.attach(record),
    });
    await step('socket', { detail: () => this.env.data.dockerSocket, run: () => this.serveDockerSocket() });
    const agent = await step('agent', { detail: () => 'guest agent', run: () => this.agents.reattach(up) });
    // With nothing cut off, dockerd runs what the record says: the store step compares, applies nothing.
    await this.storeStep(step, agent, trusted ? (record.daemonJson ?? null) : null);
    await step('versions', {
      run: async () => {
        if (record.versions) this.env.patch({ versions: record.versions });
        else await this.readVersions();
      },
    });
  }

  private async attach(record: VmRecord): Promise<Launched> {
    const e = this.env;
    this.sshPort = record.sshPort;
    const vm = e.driver.create(this.vmSpec(ensureKeys(e.data.keysDir)));
    this.vm = vm;
    await vm.attach(record.pid, 5_000);
    const mux = await MuxLink.connect(e.data.muxSocket, 2_000);
    this.mux = mux;
    e.patch({ vmPid: record.pid, sshPort: record.sshPort, fileSharing: record.fileSharing });
    this.shareEvents = forwardShareEvents(
      record.fileSharing?.shared ?? [],
      () => this.agent,
      e.log,
      () => this.docker(),
    );
    return { vm, mux, ended: endedWith(vm, 'the VM stopped'), bundle: quietly(agentBundle()) };
  }

  /** A client of the docker socket this host serves. */
  private docker(): Docker {
    return new Docker({ socketPath: this.env.data.dockerSocket });
  }

  /** What the store step did: null when it had nothing to apply. */
  storeResult: { store: StoreName; changed: boolean } | null = null;

  /** The daemon.json this boot left dockerd on (the store step's), for the VM record. */
  daemonJson: string | undefined;

  private linkReady: Promise<GuestLink> | null = null;

  /** The SSH link, or one that waits for it while it connects (pending-link.ts). */
  guestLink(): GuestLink {
    return this.link ?? new PendingLink(this.whenLinked());
  }

  /**
   * The SSH link once it is up, connecting from the first call. With the data port it is off the
   * engine's path: the controller asks for it once the start is done (its key exchange and login
   * cost the guest CPU that containerd and dockerd need while they start under emulation), or
   * `berth shell` and diagnostics do, earlier.
   */
  whenLinked(): Promise<GuestLink> {
    this.linkReady ??= this.connect().catch((err: Error) => {
      throw new BootStepError('ssh', err);
    });
    return this.linkReady;
  }

  private writeDaemonJson(): string | undefined {
    if (!this.env.bootDaemonJson) return undefined;
    const file = path.join(this.env.data.runDir, 'daemon.json');
    fs.writeFileSync(file, this.env.bootDaemonJson, { mode: 0o600 });
    return file;
  }

  private async connect(): Promise<GuestLink> {
    const vm = this.vm;
    if (!vm) throw new Error('the VM has not started yet');
    const link = await this.env.connectGuest(this.sshPort, this.env.bootTimeoutMs, () =>
      vm.running ? null : 'the VM stopped while booting',
    );
    if (this.tornDown) {
      link.end();
      throw new Error('the start was abandoned');
    }
    this.link = link;
    // An adopted VM's shares were checked by the host that booted it.
    if (this.sharing)
      this.env.patch({ fileSharing: this.sharing.verify((await link.exec('cat /proc/mounts')).stdout) });
    return link;
  }

  private async serveDockerSocket(): Promise<void> {
    await this.env.dockerSock.listen();
    this.env.dockerSock.connect(() => this.env.streams().openStreamLocal(DOCKER_SOCKET));
  }

  private tornDown = false;
  private bootPort: AgentBootPort | null = null;

  private async startDockerd(
    up: Launched,
    agent: AgentClient,
    started: Promise<StartEngineReply> | null,
  ): Promise<DockerdUp> {
    // Type=notify: dockerd is ready when the agent's `systemctl start` returns (no polling). The
    // agent answers with berth-init's refusal of the data disk, or dockerd's own last words.
    const daemonJson = (await Promise.race([started ?? agent.startEngine(), up.ended])).daemon_json;
    // The versions need only dockerd: read beside the store step, collected after it (a store
    // change restarts the same binaries).
    return { daemonJson, versions: quietly(this.readVersions()) };
  }

  /** `startedWith`: daemon.json as dockerd started with it (the agent read it), or as the VM record says. */
  private async applyEngineConfig(
    agent: AgentClient,
    want: EngineConfig | null,
    startedWith: string | null,
  ): Promise<void> {
    if (!want) return;
    const wanted = bootDaemonJson(want.store, want.userDaemonJson ?? '{}');
    this.daemonJson = wanted;
    // The boot handed the VM this very daemon.json (fw_cfg, berth-init) and dockerd runs on it:
    // nothing to apply, and no store check that costs dockerd an /info under emulation.
    if (startedWith !== null && startedWith.trim() === wanted.trim()) {
      this.storeResult = { store: want.store, changed: false };
      this.env.log(`engine: the ${want.store} image store is active`);
      return;
    }
    const r = await agent.setImageStore(want.store, want.userDaemonJson);
    this.storeResult = { store: want.store, changed: r.changed };
    this.env.log(
      `engine: the ${want.store} image store is active${r.changed ? ' (dockerd restarted to apply it)' : ''}`,
    );
  }

  /** The versions through the socket just served (docker-versions.ts). */
  private async readVersions(): Promise<void> {
    this.env.patch({ versions: await engineVersions(this.docker(), this.env.driver, this.vm) });
  }
}
