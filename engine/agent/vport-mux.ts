// The guest end of the host↔VM data plane: the mux (engine/transport/mux.ts) on the virtio-serial
// port "berth.mux", serving the host's OPENs from a fixed allowlist by connecting to the target
// and splicing it with half-close. The char-device handling is in engine/transport/char-device.ts.
import fs from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { PortSessions, fdIo } from '../transport/char-device.ts';
import { Mux } from '../transport/mux.ts';
import { dockerStreams } from './docker-streams.ts';
import { AGENT_SOCKET, DOCKER_SOCKET } from './guest-sockets.ts';

/** The data port's name (QEMU's virtserialport name=…). */
export const VPORT_NAME = 'berth.mux';

/**
 * The device node of the virtio-serial port with this name. No udev runs in the VM to make the
 * /dev/virtio-ports/<name> link, and the agent starts before berth-init, so it reads the names
 * the kernel gives in /sys itself.
 */
export function vportDevice(name: string, sysDir = '/sys/class/virtio-ports', devDir = '/dev'): string | null {
  let entries: string[];
  try {
    entries = fs.readdirSync(sysDir);
  } catch {
    return null;
  }
  for (const e of entries) {
    try {
      if (fs.readFileSync(`${sysDir}/${e}/name`, 'utf8').trim() === name) return `${devDir}/${e}`;
    } catch {
      /* a port without a name */
    }
  }
  return null;
}

const DOCKER_TARGET = `unix:${DOCKER_SOCKET}`;
const SOCKETS = new Set([DOCKER_SOCKET, AGENT_SOCKET]);
/** Where published ports listen inside the VM: loopback, or the guest's user-network address. */
const TCP_HOSTS = new Set(['127.0.0.1', '::1', '10.0.2.15']);

/**
 * Where an OPEN target may connect: `unix:/run/docker.sock`, `unix:/run/berth/agent.sock`, or
 * `tcp:<127.0.0.1|::1|[::1]|10.0.2.15>:<port>`. Throws the reason the host will read otherwise.
 */
export function targetAddress(target: string): net.NetConnectOpts {
  if (target.startsWith('unix:')) {
    const p = target.slice('unix:'.length);
    if (SOCKETS.has(p)) return { path: p };
    throw new Error(`target not allowed: ${target}`);
  }
  const m = /^tcp:(\[?[0-9a-f.:]+\]?):(\d{1,5})$/i.exec(target);
  const host = m?.[1]?.replace(/^\[(.*)\]$/, '$1') ?? '';
  const port = Number(m?.[2]);
  if (m && TCP_HOSTS.has(host) && port >= 1 && port <= 65535) return { host, port };
  throw new Error(`target not allowed: ${target}`);
}

/** Connects to an allowed target; resolves once connected, rejects with the connect error. */
export function connectTarget(target: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let address: net.NetConnectOpts;
    try {
      address = targetAddress(target);
    } catch (e) {
      reject(e as Error);
      return;
    }
    // Half-open: a client that ends its request still gets the whole reply, and the reverse.
    const sock = net.connect({ ...address, allowHalfOpen: true });
    // The mux pipes the host's bytes into the socket: an events stream must not hold dockerd's restart.
    if (target === DOCKER_TARGET) sock.once('pipe', (request) => dockerStreams.watch(request, sock));
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

export interface VportMux {
  stop(): void;
  /** Resolves when a host first completes a session handshake. */
  readonly connected: Promise<void>;
}

/**
 * Serves the port for as long as the agent runs; a host that disconnects and comes back gets a
 * fresh session. Returns null (and logs) when the VM has no such port. `ready(target)` holds an
 * OPEN until its target can answer (the agent's API while it loads).
 */
export function startVportMux(
  device = vportDevice(VPORT_NAME),
  log: (msg: string) => void = (m) => console.log(`agent: ${m}`),
  ready: (target: string) => Promise<void> = () => Promise.resolve(),
): VportMux | null {
  let fd: number;
  try {
    if (!device) throw new Error(`no port named ${VPORT_NAME}`);
    fd = fs.openSync(device, 'r+');
  } catch (e) {
    log(`no virtio mux port (${(e as Error).message}); the host reaches the VM over SSH only`);
    return null;
  }
  let session = 0;
  let hostConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => {
    hostConnected = resolve;
  });
  const sessions = new PortSessions(
    fdIo(fd, log),
    (carrier) => {
      const n = ++session;
      const mux = new Mux(carrier, {
        role: 'guest',
        onOpen: async (target) => {
          await ready(target);
          return connectTarget(target);
        },
      });
      mux.on('ready', () => {
        log(`virtio mux session ${n}: host connected`);
        hostConnected();
      });
      mux.on('peer-reset', (dropped: number) =>
        log(`virtio mux session ${n}: the host restarted, ${dropped} streams dropped`),
      );
      mux.on('close', (err: Error) => {
        if (mux.ready) log(`virtio mux session ${n} over: ${err.message}`);
      });
    },
    { log },
  );
  log(`virtio mux serving ${device}`);
  return {
    stop: () => {
      sessions.stop();
    },
    connected,
  };
}
