// The guest agent of one boot. The boot brings its own (boot port, virtio-serial mux), so no SSH is
// on the engine's path; SSH installs this host's instead when the image has no data port, the agent
// does not answer there, or it runs another bundle than this host's. Its socket is served here.
import { AgentClient } from './agent-client.ts';
import { installAgent } from './agent-installer.ts';
import { watchConsoleFor } from './console-watch.ts';
import type { EngineStatus } from './engine-types.ts';
import type { ForwardedSocket } from './forwarded-socket.ts';
import type { GuestLink, StreamCarrier } from './guest-link.ts';
import { quietly, type Launched } from './launched-vm.ts';
import type { MuxLink } from './mux-link.ts';
import type { DataDir } from './paths.ts';
import type { StartEngineReply } from '../agent/agent-types.ts';
import { buildIdOf } from '../agent/bundle-identity.ts';
import { BERTH_INIT_ERROR, refusedDiskError } from '../agent/dockerd-service.ts';
import { AGENT_SOCKET } from '../agent/guest-sockets.ts';

/**
 * How long a start waits for the boot's agent on the data port before it installs one over SSH.
 * It answers within about 15 s of the launch under emulation (3 s with a hardware accelerator).
 * Only a guest with no agent to start waits this out: an image from before the boot port (the
 * upgrade test's engine26), or a bundle that arrived damaged on a fresh disk.
 */
const AGENT_MUX_WAIT_MS = 45_000;

/** What the agent needs from the boot around it. */
export interface AgentEnv {
  data: DataDir;
  agentSock: ForwardedSocket;
  log: (line: string) => void;
  patch: (p: Partial<EngineStatus>) => void;
  /** Where streams go now (the mux, or the current SSH link), looked up per connection. */
  streams: () => StreamCarrier;
}

export class BootAgent {
  /** The client of the agent's socket served on the host (both once per boot). */
  client: AgentClient | null = null;

  constructor(
    private readonly env: AgentEnv,
    /** The boot's SSH link, connecting from the first call. */
    private readonly whenLinked: () => Promise<GuestLink>,
    /** True once the boot was torn down: it must not leave a socket or a client behind. */
    private readonly abandoned: () => boolean,
  ) {}

  /** The agent as the boot brought it, or (no answer, another build) as SSH installs it. */
  async start(up: Launched): Promise<{ agent: AgentClient; engineStarted: Promise<StartEngineReply> | null }> {
    const onMux = up.mux ? await this.overMux(up, up.mux) : null;
    return onMux ?? { agent: await this.overSsh(up, await this.whenLinked()), engineStarted: null };
  }

  /** The agent of a VM an earlier host left running: this host's build is installed over SSH if it is another. */
  async reattach(up: Launched): Promise<AgentClient> {
    if (!up.mux || !(await Promise.race([up.mux.whenReady(15_000), up.ended])))
      throw new Error('the guest agent does not answer on the data port');
    const agent = await this.connect('virtio-serial');
    const [have, want] = await agentBuilds(agent, up.bundle, up.ended);
    if (want !== null && have === want) return agent;
    this.env.log(
      `agent: the VM runs another agent build (${have.slice(0, 12) || 'unknown'}); installing this host's over SSH (dockerd keeps running)`,
    );
    return this.overSsh(up, await this.whenLinked());
  }

  /** The boot's own agent on the data port (null: SSH must install one), with dockerd's start asked for. */
  private async overMux(
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
      const agent = await this.connect('virtio-serial');
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

  private async overSsh(up: Launched, link: GuestLink): Promise<AgentClient> {
    await installAgent(link, await up.bundle);
    // The agent serves the mux: once it answers there, every stream leaves SSH.
    const onMux = (await up.mux?.whenReady(30_000)) ?? false;
    if (up.mux && !onMux)
      this.env.log('data plane: the guest agent did not answer on the virtio-serial port; streams go over SSH');
    const agent = await this.connect(onMux ? 'virtio-serial' : 'ssh');
    await agent.waitReady(60_000);
    return agent;
  }

  /** The agent's gRPC socket served on the host, and the client (both once per boot). */
  private async connect(plane: 'virtio-serial' | 'ssh'): Promise<AgentClient> {
    // A boot that failed meanwhile must not leave a socket or a client behind.
    if (this.abandoned()) throw new Error('the start was abandoned');
    this.env.patch({ dataPlane: plane });
    if (!this.client) {
      await this.env.agentSock.listen();
      this.env.agentSock.connect(() => this.env.streams().openStreamLocal(AGENT_SOCKET));
      this.client = new AgentClient(this.env.data.agentSocket);
    }
    return this.client;
  }
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
