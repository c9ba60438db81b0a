// Published ports on the host, following docker events; reconciled with the running containers
// at start and whenever the event stream comes back (a dockerd restart, a new link to the VM).
// An IPv4 publish (wildcard, 127.0.0.k, the VM's address or the host's own), TCP or UDP: a forward
// of the VM's network (UserNetForwards: passt's through pesto, or QEMU's user network's over QMP)
// bound to that host address, to the VM (its address, its loopback redirect, or its redirect for a
// host address: see port-specs.ts), added and removed at run time; the network carries the bytes,
// half-close included, and UDP replies go back to the sender.
// The fallback (TCP on ::1, a driver without a user network): a listener on the host pipes each
// connection (half-close kept) to dockerd's proxy inside the VM over the data plane.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { z } from 'zod';
import { splice } from '../transport/splice.ts';
import { alreadyForwarded, hostAddressFailed, notBound, udpNotForwarded } from './port-messages.ts';
import {
  GUEST_ADDRESS,
  InspectSchema,
  forwardKey,
  forwardsFor,
  hostIPv4Addresses,
  publicView,
  type ContainerPorts,
  type ForwardSpec,
  type PortError,
  type PublishedPort,
} from './port-specs.ts';

export * from './port-specs.ts';

const EventSchema = z.object({
  Type: z.string().optional(),
  Action: z.string(),
  Actor: z.object({ ID: z.string() }),
});

/** What the forwarder needs from the Docker API (unit tests fake it). */
export interface ContainerSource {
  runningIds(): Promise<string[]>;
  /** Raw inspect JSON; rejects with "no such container" once it is gone. */
  inspect(id: string): Promise<unknown>;
  /** NDJSON stream of container start/die/stop/destroy events. */
  events(): Promise<NodeJS.ReadableStream>;
}

export function dockerSource(docker: Docker): ContainerSource {
  return {
    runningIds: async () => (await docker.listContainers({ filters: { status: ['running'] } })).map((c) => c.Id),
    inspect: (id) => docker.getContainer(id).inspect(),
    events: () => docker.getEvents({ filters: { type: ['container'], event: ['start', 'die', 'stop', 'destroy'] } }),
  };
}

export interface PortForwarderDeps {
  docker: () => ContainerSource;
  /** Opens a stream to host:port inside the VM (GuestSsh.connectTcp). */
  connect: (host: string, port: number) => Promise<Duplex>;
  /** Forwards of the VM's network (passt or QEMU's user network); rejects with their words when the port is taken. */
  userNet?: UserNetForwards;
  /** The guest address that delivers to a host address of the host's own (port-host-address.ts). */
  hostAddressTarget?: (hostIp: string) => Promise<string>;
  /** The host's own IPv4 addresses (default: its interfaces', read at each container start). */
  hostAddresses?: () => ReadonlySet<string>;
  log?: (line: string) => void;
  /** Delay before following the events again after the stream ends. */
  retryMs?: number;
}

export interface UserNetForwards {
  add(protocol: 'tcp' | 'udp', hostIp: string, hostPort: number, guestIp: string, guestPort: number): Promise<void>;
  remove(protocol: 'tcp' | 'udp', hostIp: string, hostPort: number): Promise<void>;
}

interface Listener {
  spec: ForwardSpec;
  close(): Promise<void>;
}

/** Emits 'change' when listeners or errors change and 'port-error' (PortError) for each failure. */
export class PortForwarder extends EventEmitter {
  private forwards = new Map<string, Listener>();
  private errors = new Map<string, PortError>();
  private running = false;
  private events: NodeJS.ReadableStream | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** While dockerd restarts (a store switch), no events stream: set, the follower waits on it. */
  private paused: Promise<void> | null = null;
  private unpause: (() => void) | null = null;

  private synced!: () => void;
  /** Resolves once the published ports have been reconciled with the running containers. */
  readonly firstSync: Promise<void> = new Promise((r) => {
    this.synced = r;
  });

  constructor(private readonly deps: PortForwarderDeps) {
    super();
  }

  ports(): PublishedPort[] {
    return [...this.forwards.values()].map(({ spec }) => publicView(spec));
  }
  portErrors(): PortError[] {
    return [...this.errors.values()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.follow();
  }

  /** Closes every listener and stops following events. */
  async stop(): Promise<void> {
    this.running = false;
    this.resume();
    const ev = this.events as (NodeJS.ReadableStream & { destroy?: () => void }) | null;
    ev?.destroy?.();
    this.events = null;
    await this.serial(async () => {
      await Promise.all([...this.forwards.keys()].map((k) => this.close(k)));
      this.errors.clear();
      this.emit('change');
    });
  }

  /** Runs event handling one step at a time, so an inspect never races a later die. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * A store switch restarts dockerd, which waits (up to 5 s) for open connections before it
   * exits: the events stream lets go until resume(), and the listeners stay as they are.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = new Promise((r) => {
      this.unpause = r;
    });
    (this.events as (NodeJS.ReadableStream & { destroy?: () => void }) | null)?.destroy?.();
  }

  /** dockerd is back: follow its events again and reconcile (the restart may have changed them). */
  resume(): void {
    this.unpause?.();
    this.paused = null;
    this.unpause = null;
  }

  private async follow(): Promise<void> {
    while (this.running) {
      if (this.paused) await this.paused;
      try {
        const stream = await this.deps.docker().events();
        if (!this.running || this.paused) {
          // Stopped or paused while subscribing: let go of it at once.
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          continue;
        }
        this.events = stream;
        // Subscribed first, reconciled second: nothing that happens in between is missed.
        await this.serial(() => this.reconcile());
        this.synced();
        await this.consume(stream);
      } catch (e) {
        if (this.running) this.deps.log?.(`ports: docker events unavailable (${(e as Error).message}); retrying`);
      }
      if (this.running && !this.paused) await new Promise((r) => setTimeout(r, this.deps.retryMs ?? 1000));
    }
  }

  private consume(stream: NodeJS.ReadableStream): Promise<void> {
    return new Promise((resolve) => {
      let buf = '';
      stream.on('data', (d: Buffer | string) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) this.onEventLine(line);
        }
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
    });
  }

  private onEventLine(line: string): void {
    let parsed: z.infer<typeof EventSchema>;
    try {
      parsed = EventSchema.parse(JSON.parse(line));
    } catch {
      return;
    }
    if (parsed.Type && parsed.Type !== 'container') return;
    const id = parsed.Actor.ID;
    // A (re)start tries the container's failed ports again: the program holding one may be gone.
    if (parsed.Action === 'start')
      void this.serial(() => {
        this.forgetErrors(id);
        return this.refresh(id);
      });
    else void this.serial(() => this.setContainer(id, []));
  }

  /** Matches the listeners to what is running now. */
  async reconcile(): Promise<void> {
    const ids = new Set(await this.deps.docker().runningIds());
    const known = new Set(
      [...this.forwards.values()]
        .map((l) => l.spec.containerId)
        .concat([...this.errors.values()].map((e) => e.containerId)),
    );
    for (const id of known) if (!ids.has(id)) await this.setContainer(id, []);
    for (const id of ids) await this.refresh(id);
  }

  private async refresh(id: string): Promise<void> {
    let info: ContainerPorts | null = null;
    try {
      info = InspectSchema.parse(await this.deps.docker().inspect(id));
    } catch (e) {
      // Gone already (removed right after starting): nothing to forward.
      if (!/no such container|404/i.test((e as Error).message))
        this.deps.log?.(`ports: cannot inspect ${id.slice(0, 12)}: ${(e as Error).message}`);
    }
    await this.setContainer(id, info ? forwardsFor(info, (this.deps.hostAddresses ?? hostIPv4Addresses)()) : []);
  }

  private async setContainer(id: string, specs: ForwardSpec[]): Promise<void> {
    if (!this.running && specs.length) return;
    const want = new Map(specs.map((s) => [forwardKey(s), s]));
    let changed = false;
    for (const [key, l] of [...this.forwards]) {
      if (l.spec.containerId === id && !want.has(key)) {
        await this.close(key);
        changed = true;
      }
    }
    for (const [key, err] of [...this.errors]) {
      if (err.containerId === id && !want.has(key)) {
        this.errors.delete(key);
        changed = true;
      }
    }
    for (const [key, spec] of want) {
      const current = this.forwards.get(key);
      if (current?.spec.containerId === id) continue;
      if (this.errors.get(key)?.containerId === id) continue; // reported once; retried when it starts again
      changed = true;
      await this.open(key, spec);
    }
    if (changed) this.emit('change');
  }

  private forgetErrors(id: string): void {
    for (const [key, err] of [...this.errors]) if (err.containerId === id) this.errors.delete(key);
  }

  private async open(key: string, spec: ForwardSpec): Promise<void> {
    const taken = this.forwards.get(key);
    if (taken) {
      // Another container claimed the same host address and port: dockerd would have refused
      // this in the VM unless the addresses differ there, so report it rather than steal it.
      this.fail(key, spec, alreadyForwarded(spec, taken.spec.container));
      return;
    }
    const listener =
      spec.userNet && this.deps.userNet
        ? await this.openUserNet(key, spec, this.deps.userNet)
        : spec.protocol === 'tcp'
          ? await this.openTcp(key, spec)
          : this.fail(key, spec, udpNotForwarded(spec, !!this.deps.userNet));
    if (!listener) return;
    this.forwards.set(key, listener);
    this.deps.log?.(
      `ports: ${spec.hostIp}:${spec.hostPort}/${spec.protocol} -> ${spec.container} ${spec.containerPort}`,
    );
  }

  private async openTcp(key: string, spec: ForwardSpec): Promise<Listener | null> {
    const sockets = new Set<net.Socket>();
    // Half-open, like the socket it stands for: a client may end its side and still read the reply.
    const server = net.createServer({ allowHalfOpen: true }, (sock) => this.pipe(sock, spec, sockets));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: spec.hostIp, port: spec.hostPort, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (spec.optional && err.code !== 'EADDRINUSE') return null; // no IPv6 loopback on this host
      this.fail(key, spec, notBound(spec, err.code === 'EADDRINUSE' ? '' : err.message, err.code === 'EADDRINUSE'));
      return null;
    }
    server.on('error', (e) => this.deps.log?.(`ports: listener ${key}: ${e.message}`));
    return {
      spec,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  private async openUserNet(key: string, spec: ForwardSpec, userNet: UserNetForwards): Promise<Listener | null> {
    const { protocol, hostIp, hostPort } = spec;
    let target = spec.userNetTarget ?? GUEST_ADDRESS;
    if (spec.hostAddress) {
      try {
        if (!this.deps.hostAddressTarget) throw new Error('no guest redirect for host addresses here');
        target = await this.deps.hostAddressTarget(hostIp);
      } catch (e) {
        return this.fail(key, spec, hostAddressFailed(spec, (e as Error).message));
      }
    }
    try {
      await userNet.add(protocol, hostIp, hostPort, target, hostPort);
    } catch (e) {
      const why = (e as Error).message;
      return this.fail(key, spec, notBound(spec, why, /in use|could not set up/i.test(why)));
    }
    return {
      spec,
      close: () =>
        userNet.remove(protocol, hostIp, hostPort).catch((e: Error) => this.deps.log?.(`ports: ${e.message}`)),
    };
  }

  private fail(key: string, spec: ForwardSpec, message: string): null {
    const err: PortError = { ...publicView(spec), message };
    this.errors.set(key, err);
    this.deps.log?.(`ports: ${message}`);
    this.emit('port-error', err);
    return null;
  }

  private pipe(sock: net.Socket, spec: ForwardSpec, sockets: Set<net.Socket>): void {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    // The ::1 companion of a wildcard publish goes to its IPv4 twin on the host when that is up
    // (QEMU's forward: faster than the data plane), so `localhost` resolving to ::1 loses little.
    const twin = spec.optional && this.forwards.has(forwardKey({ ...spec, hostIp: '127.0.0.1' }));
    const dial = twin ? this.relayLocal(spec.hostPort) : this.deps.connect(spec.guestHost, spec.hostPort);
    dial.then(
      (remote) => {
        if (sock.destroyed) {
          remote.destroy();
          return;
        }
        splice(sock, remote);
      },
      () => sock.destroy(),
    );
  }

  private relayLocal(port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  }

  private async close(key: string): Promise<void> {
    const l = this.forwards.get(key);
    if (!l) return;
    this.forwards.delete(key);
    await l.close();
    this.deps.log?.(`ports: closed ${l.spec.hostIp}:${l.spec.hostPort}/${l.spec.protocol} (${l.spec.container})`);
  }
}
