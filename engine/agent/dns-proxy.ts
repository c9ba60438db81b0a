// The VM's resolver: answers Docker Desktop's names for the host (host.docker.internal,
// gateway.docker.internal) with QEMU's alias for the host's loopback, and forwards every other
// query unchanged to QEMU's own resolver. The VM's /etc/resolv.conf points here (berth-init), so
// containers on the default bridge (which copy that file) and on user-defined networks (whose
// embedded DNS in dockerd forwards to it) resolve the same names.
import dgram from 'node:dgram';
import net from 'node:net';

export interface DnsProxyOptions {
  /** The VM's own address on QEMU's user network. */
  listenHost?: string;
  port?: number;
  /** QEMU's resolver. */
  upstreamHost?: string;
  upstreamPort?: number;
  /** The address the host names resolve to: QEMU's alias for the host's 127.0.0.1. */
  hostAddress?: string;
  timeoutMs?: number;
}

export const HOST_NAMES = ['host.docker.internal', 'gateway.docker.internal', 'host.berth.internal'];
const TYPE_A = 1;
const CLASS_IN = 1;

export interface DnsQuestion {
  name: string;
  qtype: number;
  qclass: number /** Offset just after the question. */;
  end: number;
}

/** The first question of a standard query, or null when it is not one this proxy reads. */
export function parseQuestion(msg: Buffer): DnsQuestion | null {
  if (msg.length < 12) return null;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || (flags >> 11) & 0xf) return null; // a response, or not a standard query
  if (msg.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    if (off >= msg.length) return null;
    const len = msg[off]!;
    if (len === 0) {
      off += 1;
      break;
    }
    if (len > 63 || off + 1 + len > msg.length) return null; // compression in a question: not ours
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return null;
  return {
    name: labels.join('.').toLowerCase(),
    qtype: msg.readUInt16BE(off),
    qclass: msg.readUInt16BE(off + 2),
    end: off + 4,
  };
}

/** True when the name is one this proxy answers itself. */
export function isHostName(name: string): boolean {
  return HOST_NAMES.includes(name.replace(/\.$/, '').toLowerCase());
}

/**
 * The authoritative answer for a host name: an A record for IN/A, and an empty NOERROR answer for
 * every other type (AAAA among them), so no resolver asks elsewhere and gets NXDOMAIN.
 */
export function hostAnswer(query: Buffer, q: DnsQuestion, address: string, ttl = 60): Buffer {
  const withA = q.qtype === TYPE_A && q.qclass === CLASS_IN;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  const opcodeAndRd = query.readUInt16BE(2) & 0x7900;
  header.writeUInt16BE(0x8000 | 0x0400 | opcodeAndRd | 0x0080, 2); // QR, AA, RA; RCODE 0
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(withA ? 1 : 0, 6);
  const question = query.subarray(12, q.end);
  if (!withA) return Buffer.concat([header, question]);
  const answer = Buffer.alloc(16);
  answer.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question
  answer.writeUInt16BE(TYPE_A, 2);
  answer.writeUInt16BE(CLASS_IN, 4);
  answer.writeUInt32BE(ttl, 6);
  answer.writeUInt16BE(4, 10);
  address.split('.').forEach((o, i) => answer.writeUInt8(Number(o), 12 + i));
  return Buffer.concat([header, question, answer]);
}

export interface DnsProxy {
  udp: dgram.Socket;
  tcp: net.Server;
  close(): Promise<void>;
}

export async function startDnsProxy(o: DnsProxyOptions = {}): Promise<DnsProxy> {
  const listenHost = o.listenHost ?? '10.0.2.15';
  const port = o.port ?? 53;
  const upstreamHost = o.upstreamHost ?? '10.0.2.3';
  const upstreamPort = o.upstreamPort ?? 53;
  const hostAddress = o.hostAddress ?? '10.0.2.2';
  const timeoutMs = o.timeoutMs ?? 5000;

  const local = (msg: Buffer): Buffer | null => {
    const q = parseQuestion(msg);
    return q && isHostName(q.name) ? hostAnswer(msg, q, hostAddress) : null;
  };

  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const answer = local(msg);
    if (answer) {
      udp.send(answer, rinfo.port, rinfo.address);
      return;
    }
    // One upstream socket per query: the reply goes back to whoever asked, IDs untouched.
    const up = dgram.createSocket('udp4');
    let open = true;
    const done = (): void => {
      if (open) {
        open = false;
        clearTimeout(timer);
        up.close();
      }
    };
    const timer = setTimeout(done, timeoutMs);
    up.on('error', done);
    up.once('message', (reply) => {
      done();
      udp.send(reply, rinfo.port, rinfo.address);
    });
    up.send(msg, upstreamPort, upstreamHost);
  });
  udp.on('error', (e) => console.error(`dns: ${e.message}`));

  // DNS over TCP (truncated answers): length-prefixed messages, each answered or forwarded.
  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => sock.destroy());
    sock.setTimeout(timeoutMs * 2, () => sock.destroy());
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const answer = local(msg);
        if (answer) sock.write(frame(answer));
        else
          forwardTcp(msg, upstreamHost, upstreamPort, timeoutMs).then(
            (r) => sock.write(frame(r)),
            () => sock.destroy(),
          );
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, listenHost, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, listenHost, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  return {
    udp,
    tcp,
    close: () =>
      new Promise<void>((r) => {
        udp.close();
        tcp.close(() => r());
      }),
  };
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

function forwardTcp(msg: Buffer, host: string, port: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const up = net.connect(port, host);
    let buf = Buffer.alloc(0);
    up.setTimeout(timeoutMs, () => {
      up.destroy();
      reject(new Error('upstream timeout'));
    });
    up.on('error', reject);
    up.on('connect', () => up.write(frame(msg)));
    up.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        up.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    up.on('close', () => reject(new Error('upstream closed')));
  });
}

/** Starts the proxy, retrying every few seconds while it cannot bind (the VM has no other resolver). */
export function keepDnsProxy(o: DnsProxyOptions = {}, retryMs = 2000): void {
  startDnsProxy(o).then(
    (p) => console.log(`dns proxy listening on ${p.udp.address().address}:${p.udp.address().port}`),
    (e: Error) => {
      console.error(`agent: dns proxy: ${e.message}; retrying`);
      setTimeout(() => keepDnsProxy(o, retryMs), retryMs);
    },
  );
}
