// What follows a boot while the engine runs on it: the guest agent's events, the published ports
// (they follow docker events), the SSH link (re-established when it drops) and the guest's half of
// the start's timeline. None of it acts for a boot the engine has moved on from.
import type Docker from 'dockerode';
import type { AgentClient } from './agent-client.ts';
import { followAgentEvents } from './agent-events.ts';
import type { EngineBoot } from './engine-boot.ts';
import type { EngineStatus } from './engine-types.ts';
import type { ConnectGuest, GuestLink, StreamCarrier } from './guest-link.ts';
import { readGuestTimeline } from './guest-timeline.ts';
import { PortForwarder, dockerSource } from './port-forwarder.ts';
import { hostAddressTargets } from './port-host-address.ts';
import type { VmHandle } from './vm-driver.ts';

/** What the watch needs from the engine controller. */
export interface WatchedEngine {
  /** The boot the engine runs on now (null when none). */
  boot: () => EngineBoot | null;
  /** True while the engine counts as running (not starting, stopping or failed). */
  running: () => boolean;
  /** Status fields learned while running; the engine emits 'status' after. */
  patch: (p: Partial<EngineStatus>) => void;
  /** The engine's other events: 'agent-event', 'event' ('port-error'), 'reconnected'. */
  emit: (event: 'agent-event' | 'event' | 'reconnected', ...args: unknown[]) => void;
  connectGuest: ConnectGuest;
  docker: () => Docker;
  /** Where a stream goes now: the mux, or the SSH link. */
  streams: () => StreamCarrier;
  guest: () => GuestLink;
  log: (line: string) => void;
}

export class BootWatch {
  /** The published ports; null once stopped. */
  ports: PortForwarder | null = null;
  private unfollow: (() => void) | null;

  constructor(
    private readonly boot: EngineBoot,
    vm: VmHandle,
    agent: AgentClient,
    private readonly e: WatchedEngine,
  ) {
    this.unfollow = followAgentEvents(
      agent,
      (ev) => {
        // Our own docker events stream would hold dockerd's restart up by seconds: let go meanwhile.
        if (ev.kind === 'store-switching') this.ports?.pause();
        else if (ev.kind === 'store-switched') this.ports?.resume();
        e.emit('agent-event', ev);
      },
      () => e.boot()?.agent === agent && e.running(),
    );
    this.startPorts(vm);
    // SSH may still be connecting (it is off the start's path when the VM has the data port).
    void boot.whenLinked().then(
      (link) => {
        if (e.boot() !== boot) return;
        this.followLink(link);
        // The guest's half of the timeline, read after the start so it costs the start nothing.
        void readGuestTimeline(link).then(
          (t) => {
            if (e.boot() === boot) e.patch({ guestTimeline: t });
          },
          (err: Error) => e.log(`timeline: the guest's boot times could not be read (${err.message})`),
        );
      },
      (err: Error) => {
        if (e.boot() === boot)
          e.log(`engine: no SSH link to the VM (${err.message}); berth shell and diagnostics cannot reach it`);
      },
    );
  }

  stopEvents(): void {
    this.unfollow?.();
    this.unfollow = null;
  }

  async stopPorts(): Promise<void> {
    await this.ports?.stop();
    this.ports = null;
  }

  /** Host integration: published ports follow docker events for as long as the engine runs. */
  private startPorts(vm: VmHandle): void {
    const e = this.e;
    const ports = new PortForwarder({
      docker: () => dockerSource(e.docker()),
      connect: async (host, port) => e.streams().connectTcp(host, port),
      userNet: vm.userNetForwards(),
      hostAddressTarget: hostAddressTargets((cmd) => e.guest().run(cmd)),
      log: e.log,
    });
    ports.on('change', () => {
      if (this.ports !== ports) return;
      e.patch({ ports: ports.ports(), portErrors: ports.portErrors() });
    });
    ports.on('port-error', (err) => e.emit('event', 'port-error', err));
    this.ports = ports;
    ports.start();
  }

  /** A dropped link (sshd restarted, host slept) is re-established while the VM runs. */
  private followLink(link: GuestLink): void {
    const { boot, e } = this;
    link.once('close', () => {
      if (e.boot() !== boot || boot.link !== link || !boot.vm?.running || !e.running()) return;
      void e
        .connectGuest(boot.sshPort, 60_000, () => (boot.vm?.running ? null : 'VM gone'))
        .then(
          (next) => {
            if (e.boot() !== boot) {
              next.end();
              return;
            }
            boot.link = next;
            this.followLink(next);
            e.emit('reconnected');
          },
          () => {
            /* the VM exit handler reports the failure */
          },
        );
    });
  }
}
