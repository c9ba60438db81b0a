// One boot of the engine on one accelerator, as named steps: the VM up (watched by the boot
// supervisor), the guest link, the docker socket, dockerd, the guest agent, the image store, the
// versions. It owns what it started, so a failed or finished engine is torn down in one place.
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { z } from 'zod';
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
import { AgentClient } from './agent-client.ts';
import { agentBundle, installAgent } from './agent-installer.ts';
import { AgentBootPort } from './agent-boot-port.ts';
import { ensureKeys } from './keys.ts';
import { FileSharing } from './file-sharing.ts';
import { forwardShareEvents, type ShareEvents } from './share-events.ts';
import { freeTcpPort } from './vm-files.ts';
import { writeDockerContext } from './docker-context.ts';
import { watchConsoleFor } from './console-watch.ts';
import { PendingLink } from './pending-link.ts';
import { buildIdOf } from '../agent/bundle-identity.ts';
import { bootDaemonJson } from './boot-daemon-json.ts';
import { BERTH_INIT_ERROR, refusedDiskError } from '../agent/dockerd-service.ts';
import type { DataDir } from './paths.ts';
import { AGENT_SOCKET, DOCKER_SOCKET } from '../agent/guest-sockets.ts';

/**
 * How long a start waits for the boot's agent on the data port before it installs one over SSH.
 * It answers within about 15 s of the launch under emulation (3 s with a hardware accelerator).
 * Only a guest with no agent to start waits this out: an image from before the boot port (the
 * upgrade test's engine26), or a bundle that arrived damaged on a fresh disk.
 */
const AGENT_MUX_WAIT_MS = 45_000;

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

/** What a launched (or attached) VM gives the steps after it. */
interface Launched {
  vm: VmHandle;
  /** Rejects when the VM ends: every wait on the guest races it. */
  ended: Promise<never>;
  /** This host's agent bundle, built while the VM boots. */
  bundle: Promise<Buffer>;
  /** The data port; null when the image has none (SSH carries everything then). */
  mux: MuxLink | null;
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
  agent: AgentClient | null = null;
  supervisor: BootSupervisor | null = null;
  sshPort = 0;
  readonly timeline: TimelineEntry[] = [];
  private sharing: FileSharing | null = null;
  private shareEvents: ShareEvents | null = null;

  constructor(
    private readonly env: BootEnv,
    readonly accel: Accelerator,
    private readonly image: VmImage,
  ) {}

  /** A fresh boot: each step gets what the steps before it made. */
  async run(t0: number, onStage: (name: StartStageName, detail?: string) => void): Promise<void> {
    const e = this.env;
    const step = stepper(t0, onStage, this.timeline);
    const up = await step('boot', { detail: () => `${e.driver.name} ${this.accel}`, run: () => this.launch() });
    await step('socket', { detail: () => e.data.dockerSocket, run: () => this.serveDockerSocket() });
    const { agent, engineStarted } = await step('agent', {
      detail: () => 'guest agent',
      run: () => this.startAgent(up),
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
    const agent = await step('agent', { detail: () => 'guest agent', run: () => this.reattachAgent(up) });
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

  private async reattachAgent(up: Launched): Promise<AgentClient> {
    if (!up.mux || !(await Promise.race([up.mux.whenReady(15_000), up.ended])))
      throw new Error('the guest agent does not answer on the data port');
    const agent = await this.connectAgent('virtio-serial');
    const [have, want] = await agentBuilds(agent, up.bundle, up.ended);
    if (want !== null && have === want) return agent;
    this.env.log(
      `agent: the VM runs another agent build (${have.slice(0, 12) || 'unknown'}); installing this host's over SSH (dockerd keeps running)`,
    );
    return this.agentOverSsh(up, await this.whenLinked());
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

  /**
   * The agent as the boot brought it (boot port, virtio-serial mux): no SSH on the engine's path.
   * SSH installs it instead when the image has no data port, the agent does not answer there, or
   * it runs another bundle than this host's.
   */
  private async startAgent(
    up: Launched,
  ): Promise<{ agent: AgentClient; engineStarted: Promise<StartEngineReply> | null }> {
    const onMux = up.mux ? await this.agentOverMux(up, up.mux) : null;
    return onMux ?? { agent: await this.agentOverSsh(up, await this.whenLinked()), engineStarted: null };
  }

  /** The boot's own agent on the data port (null: SSH must install one), with dockerd's start asked for. */
  private async agentOverMux(
    up: Launched,
    mux: MuxLink,
  ): Promise<{ agent: AgentClient; engineStarted: Promise<StartEngineReply> } | null> {
    const e = this.env;
    // berth-init refusing the data disk says so on the console, and no agent will start.
    const refusal = watchConsoleFor(e.data.consoleLog, new RegExp(`${BERTH_INIT_ERROR}(.+)$`));
    // A VM that ends meanwhile (the boot supervisor kills a stuck one) ends the wait at once.
    const ended = up.ended;
    try {
      const answered = await Promise.race([
        mux.whenReady(AGENT_MUX_WAIT_MS),
        refusal.found.then((m) => {
          throw refusedDiskError((m[1] ?? '').trim());
        }),
        ended,
      ]);
      if (!answered) {
        e.log(`agent: no answer on the data port within ${AGENT_MUX_WAIT_MS / 1000} s; installing it over SSH`);
        return null;
      }
      // Both calls wait for the agent's API (its connection is held in the VM until it listens; an
      // agent from before Hello is another build): dockerd's wait begins beside the check, and
      // the dockerd step collects it (or asks again, when the check replaced this agent).
      const agent = await this.connectAgent('virtio-serial');
      const engineStarted = quietly(agent.startEngine());
      const [have, want] = await agentBuilds(agent, up.bundle, ended);
      if (want !== null && have === want) return { agent, engineStarted };
      e.log(
        `agent: the VM runs another agent build (${have.slice(0, 12) || 'unknown'}, this host's is ${want?.slice(0, 12) ?? 'unknown'}); installing it over SSH`,
      );
      return null;
    } finally {
      refusal.stop();
    }
  }

  private async agentOverSsh(up: Launched, link: GuestLink): Promise<AgentClient> {
    await installAgent(link, await up.bundle);
    // The agent serves the mux: once it answers there, every stream leaves SSH.
    const onMux = (await up.mux?.whenReady(30_000)) ?? false;
    if (up.mux && !onMux)
      this.env.log('data plane: the guest agent did not answer on the virtio-serial port; streams go over SSH');
    const agent = await this.connectAgent(onMux ? 'virtio-serial' : 'ssh');
    await agent.waitReady(60_000);
    return agent;
  }

  /** The agent's gRPC socket served on the host, and the client (both once per boot). */
  private async connectAgent(plane: 'virtio-serial' | 'ssh'): Promise<AgentClient> {
    // A boot that failed meanwhile must not leave a socket or a client behind.
    if (this.tornDown) throw new Error('the start was abandoned');
    this.env.patch({ dataPlane: plane });
    if (!this.agent) {
      await this.env.agentSock.listen();
      this.env.agentSock.connect(() => this.env.streams().openStreamLocal(AGENT_SOCKET));
      this.agent = new AgentClient(this.env.data.agentSocket);
    }
    return this.agent;
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

  /** One Docker API call through the socket just served (a CLI in the VM costs seconds under emulation). */
  private async readVersions(): Promise<void> {
    const v = DockerVersionSchema.parse(await this.docker().version());
    const component = (name: string): string | undefined => v.Components?.find((c) => c.Name === name)?.Version;
    this.env.patch({
      versions: {
        docker: v.Version,
        api: v.ApiVersion,
        containerd: component('containerd'),
        runc: component('runc'),
        kernel: v.KernelVersion,
        qemu: this.env.driver.version(),
        qemuReason: this.env.driver.reason,
        network: this.vm?.network,
      },
    });
  }
}

/** The part of the Docker API's /version read here (validated: it comes from the VM). */
const DockerVersionSchema = z.object({
  Version: z.string().optional(),
  ApiVersion: z.string().optional(),
  KernelVersion: z.string().optional(),
  Components: z.array(z.object({ Name: z.string(), Version: z.string() })).nullish(),
});

/** A promise whose rejection is handled where it is awaited, not reported as unhandled meanwhile. */
function quietly<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Rejects (with why) once the VM exits. */
function endedWith(vm: VmHandle, why: string): Promise<never> {
  return quietly(new Promise<never>((_, reject) => vm.once('exit', () => reject(new Error(why)))));
}

/**
 * The build the VM's agent says it is ('' when it cannot say) beside this host's bundle's, to
 * tell whether the agent must be replaced; rejects once the VM ends.
 */
function agentBuilds(
  agent: AgentClient,
  bundle: Promise<Buffer>,
  ended: Promise<never>,
): Promise<[string, string | null]> {
  return Promise.race([
    Promise.all([
      agent.hello().then(
        (h) => h.build_id,
        () => '',
      ),
      bundle.then(buildIdOf),
    ]),
    ended,
  ]);
}
