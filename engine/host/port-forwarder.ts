// Published ports on the host: for every running container's published TCP port, a listener on
// the host at the same port that pipes each connection through the SSH link to the port dockerd
// publishes inside the VM. Follows docker events; reconciles with the running containers at
// start and whenever the event stream comes back (a dockerd restart, a new SSH link).
//
// UDP is not forwarded yet: the SSH link only carries streams, so UDP would need its own
// datagram relay (a QEMU hostfwd per port or a relay in the guest agent). TCP only for now.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { z } from 'zod';
import type { PortErrorSchema, PublishedPortSchema } from './engine-types.ts';

/** One active host listener; containerPort as docker spells it ("80/tcp"). */
export type PublishedPort = z.infer<typeof PublishedPortSchema>;
/** A published port the host could not listen on (taken by another program, no such address). */
export type PortError = z.infer<typeof PortErrorSchema>;

export interface ForwardSpec extends PublishedPort {
  /** Where the connection goes inside the VM: dockerd's proxy for this binding. */
  guestHost: string;
  /** A best-effort extra listener (::1 next to 127.0.0.1): only "address in use" is reported. */
  optional?: boolean;
}

const BindingSchema = z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() });
/** The part of a container inspect this module reads (validated: it crosses the docker API). */
export const InspectSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  State: z.object({ Running: z.boolean() }),
  NetworkSettings: z.object({
    Ports: z.record(z.string(), z.array(BindingSchema).nullable()).nullable().optional(),
  }),
});
export type ContainerPorts = z.infer<typeof InspectSchema>;

const EventSchema = z.object({
  Type: z.string().optional(),
  Action: z.string(),
  Actor: z.object({ ID: z.string() }),
});

const WILDCARDS = new Set(['', '0.0.0.0', '::']);

function isLoopback(ip: string): boolean {
  return ip === '::1' || (net.isIPv4(ip) && ip.startsWith('127.'));
}

/**
 * The host address to listen on. A wildcard publish (docker's default, `-p 8080:80`) becomes
 * the host's loopback only: the VM is a development engine, and opening its ports to the local
 * network by default would expose containers the user thinks of as local. A loopback address
 * the user chose (127.0.0.2, ::1) is kept; any other address belongs to the VM's own interfaces
 * (10.0.2.15), which have no meaning on the host, so it is loopback too.
 */
export function hostListenAddress(hostIp: string): string {
  return isLoopback(hostIp) ? hostIp : '127.0.0.1';
}

/** The address inside the VM where dockerd's proxy accepts this binding. */
export function guestTarget(hostIp: string): string {
  if (hostIp === '' || hostIp === '0.0.0.0') return '127.0.0.1';
  if (hostIp === '::') return '::1';
  return hostIp;
}

/** Every host listener a running container needs, one per (address, port). */
export function forwardsFor(c: ContainerPorts): ForwardSpec[] {
  if (!c.State.Running) return [];
  const byKey = new Map<string, ForwardSpec>();
  const name = c.Name.replace(/^\//, '');
  for (const [containerPort, bindings] of Object.entries(c.NetworkSettings.Ports ?? {})) {
    if (!containerPort.endsWith('/tcp')) continue; // UDP/SCTP: not forwarded (see the top)
    for (const b of bindings ?? []) {
      const hostPort = Number(b.HostPort);
      if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) continue;
      const hostIp = b.HostIp ?? '';
      const spec: ForwardSpec = { containerId: c.Id, container: name, containerPort, hostIp: hostListenAddress(hostIp), hostPort, guestHost: guestTarget(hostIp) };
      const key = forwardKey(spec);
      const seen = byKey.get(key);
      // docker lists a default publish twice (0.0.0.0 and ::): prefer the IPv4 proxy.
      if (!seen || (net.isIPv6(seen.guestHost) && net.isIPv4(spec.guestHost))) byKey.set(key, spec);
      if (WILDCARDS.has(hostIp)) {
        const v6: ForwardSpec = { ...spec, hostIp: '::1', optional: true };
        if (!byKey.has(forwardKey(v6))) byKey.set(forwardKey(v6), v6);
      }
    }
  }
  return [...byKey.values()];
}

export function forwardKey(p: { hostIp: string; hostPort: number }): string {
  return `${p.hostIp}|${p.hostPort}`;
}

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
  log?: (line: string) => void;
  /** Delay before following the events again after the stream ends. */
  retryMs?: number;
}

interface Listener { spec: ForwardSpec; server: net.Server; sockets: Set<net.Socket>; }

/** Emits 'change' when listeners or errors change and 'port-error' (PortError) for each failure. */
export class PortForwarder extends EventEmitter {
  private forwards = new Map<string, Listener>();
  private errors = new Map<string, PortError>();
  private running = false;
  private events: NodeJS.ReadableStream | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PortForwarderDeps) { super(); }

  ports(): PublishedPort[] {
    return [...this.forwards.values()].map(({ spec }) => publicView(spec));
  }
  portErrors(): PortError[] { return [...this.errors.values()]; }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.follow();
  }

  /** Closes every listener and stops following events. */
  async stop(): Promise<void> {
    this.running = false;
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

  private async follow(): Promise<void> {
    while (this.running) {
      try {
        const stream = await this.deps.docker().events();
        if (!this.running) { (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(); return; }
        this.events = stream;
        // Subscribed first, reconciled second: nothing that happens in between is missed.
        await this.serial(() => this.reconcile());
        await this.consume(stream);
      } catch (e) {
        if (this.running) this.deps.log?.(`ports: docker events unavailable (${(e as Error).message}); retrying`);
      }
      if (this.running) await new Promise((r) => setTimeout(r, this.deps.retryMs ?? 1000));
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
    try { parsed = EventSchema.parse(JSON.parse(line)); } catch { return; }
    if (parsed.Type && parsed.Type !== 'container') return;
    const id = parsed.Actor.ID;
    // A (re)start tries the container's failed ports again: the program holding one may be gone.
    if (parsed.Action === 'start') void this.serial(() => { this.forgetErrors(id); return this.refresh(id); });
    else void this.serial(() => this.setContainer(id, []));
  }

  /** Matches the listeners to what is running now. */
  async reconcile(): Promise<void> {
    const ids = new Set(await this.deps.docker().runningIds());
    const known = new Set([...this.forwards.values()].map((l) => l.spec.containerId).concat([...this.errors.values()].map((e) => e.containerId)));
    for (const id of known) if (!ids.has(id)) await this.setContainer(id, []);
    for (const id of ids) await this.refresh(id);
  }

  private async refresh(id: string): Promise<void> {
    let info: ContainerPorts | null = null;
    try {
      info = InspectSchema.parse(await this.deps.docker().inspect(id));
    } catch (e) {
      // Gone already (removed right after starting): nothing to forward.
      if (!/no such container|404/i.test((e as Error).message)) this.deps.log?.(`ports: cannot inspect ${id.slice(0, 12)}: ${(e as Error).message}`);
    }
    await this.setContainer(id, info ? forwardsFor(info) : []);
  }

  private async setContainer(id: string, specs: ForwardSpec[]): Promise<void> {
    if (!this.running && specs.length) return;
    const want = new Map(specs.map((s) => [forwardKey(s), s]));
    let changed = false;
    for (const [key, l] of [...this.forwards]) {
      if (l.spec.containerId === id && !want.has(key)) { await this.close(key); changed = true; }
    }
    for (const [key, err] of [...this.errors]) {
      if (err.containerId === id && !want.has(key)) { this.errors.delete(key); changed = true; }
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
      this.fail(key, spec, `host port ${spec.hostIp}:${spec.hostPort} is already forwarded for container ${taken.spec.container}`);
      return;
    }
    const sockets = new Set<net.Socket>();
    const server = net.createServer((sock) => this.pipe(sock, spec, sockets));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: spec.hostIp, port: spec.hostPort, exclusive: true }, () => { server.off('error', reject); resolve(); });
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (spec.optional && err.code !== 'EADDRINUSE') return; // no IPv6 loopback on this host
      this.fail(key, spec, err.code === 'EADDRINUSE'
        ? `host port ${spec.hostIp}:${spec.hostPort} is already in use by another program: container ${spec.container} (${spec.containerPort}) is not reachable on it`
        : `cannot listen on ${spec.hostIp}:${spec.hostPort} for container ${spec.container}: ${err.message}`);
      return;
    }
    server.on('error', (e) => this.deps.log?.(`ports: listener ${key}: ${e.message}`));
    this.forwards.set(key, { spec, server, sockets });
    this.deps.log?.(`ports: ${spec.hostIp}:${spec.hostPort} -> ${spec.container} ${spec.containerPort}`);
  }

  private fail(key: string, spec: ForwardSpec, message: string): void {
    const err: PortError = { ...publicView(spec), message };
    this.errors.set(key, err);
    this.deps.log?.(`ports: ${message}`);
    this.emit('port-error', err);
  }

  private pipe(sock: net.Socket, spec: ForwardSpec, sockets: Set<net.Socket>): void {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    this.deps.connect(spec.guestHost, spec.hostPort).then((remote) => {
      if (sock.destroyed) { remote.destroy(); return; }
      remote.on('error', () => sock.destroy());
      sock.on('close', () => remote.destroy());
      sock.pipe(remote).pipe(sock);
    }, () => sock.destroy());
  }

  private async close(key: string): Promise<void> {
    const l = this.forwards.get(key);
    if (!l) return;
    this.forwards.delete(key);
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((r) => l.server.close(() => r()));
    this.deps.log?.(`ports: closed ${l.spec.hostIp}:${l.spec.hostPort} (${l.spec.container})`);
  }
}

function publicView(s: ForwardSpec): PublishedPort {
  return { containerId: s.containerId, container: s.container, containerPort: s.containerPort, hostIp: s.hostIp, hostPort: s.hostPort };
}
