// Published-port conformance against the real VM (shared engine), through the host's own clients:
// every publish form (wildcard, 127.0.0.1, an address of the host's own, ::1) × {HTTP request and
// response with curl, TCP half-close each way and UDP echo with Python sockets}, each cell
// asserted and the table printed; which process holds each host port (the VM's network, passt or
// QEMU's user network, for IPv4; the Berth host for the fallback); and a host port another program holds, reported in
// `berth status` with the container named.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { BerthEnv, waitFor } from '../helpers/berth-env.ts';
import { buildScratch } from '../helpers/docker-ops.ts';
import { hostCommand, type Run } from '../helpers/endpoint-tools.ts';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import { hostIPv4Addresses } from '../../engine/host/port-specs.ts';
import { passtFor } from '../../engine/host/passt-runtime.ts';

const MIN = 60_000;
const IMG = 'berth-pc/busybox:1';
const NAME = 'pc-all';

// In the container (the VM's node, through a read-only bind of its root): 8000 HTTP; 9000 reads to
// the client's EOF, then answers the byte count; 9002 answers and ends its side at once, then
// counts what the client still sends and logs it at the client's EOF; 9001/udp echoes.
const SERVER = [
  "const net=require('net'),http=require('http'),dgram=require('dgram');",
  "http.createServer((q,r)=>r.end('hello '+q.url)).listen(8000);",
  "net.createServer({allowHalfOpen:true},s=>{let n=0;s.on('data',d=>n+=d.length);s.on('end',()=>s.end('got '+n))}).listen(9000);",
  "net.createServer({allowHalfOpen:true},s=>{let n=0;s.end('bye');s.on('data',d=>n+=d.length);s.on('end',()=>{console.log('after-fin '+n);s.destroy()})}).listen(9002);",
  "const u=dgram.createSocket('udp4');u.on('message',(m,r)=>u.send('echo:'+m,r.port,r.address));u.bind(9001);",
].join('');

// The host's clients: Python sockets for the TCP and UDP cells, curl for HTTP.
const PY = String.raw`
import socket, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
def read_all(s):
    out = b''
    while True:
        d = s.recv(65536)
        if not d: return out
        out += d
if mode == 'client-fin':   # we shut our side; the reply still comes
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b'x' * 100000); s.shutdown(socket.SHUT_WR)
    print(read_all(s).decode())
elif mode == 'server-fin':  # the server shut its side; what we send still arrives
    s = socket.create_connection((host, port), timeout=10)
    got = read_all(s)
    s.sendall(b'y' * 70000); s.shutdown(socket.SHUT_WR)
    read_all(s)
    print(got.decode())
else:
    u = socket.socket(fam, socket.SOCK_DGRAM); u.settimeout(2)
    u.sendto(b'ping', (host, port))
    print(u.recvfrom(100)[0].decode())
`;

interface Form {
  name: string;
  publish: string;
  connect: string;
  /** Who holds the host port: the VM's network (passt or QEMU's user network) or Berth's host listener. */
  via: 'vm-net' | 'host';
  udp: boolean;
  skip?: string;
}

describe('published ports: every form × TCP, half-close, UDP (real VM)', { timeout: 30 * MIN }, () => {
  const env = new BerthEnv({ shared: true });
  let host: (cmd: string) => Promise<Run>;
  const hostIp = [...hostIPv4Addresses()][0];
  const forms: Form[] = [
    { name: 'wildcard', publish: '', connect: '127.0.0.1', via: 'vm-net', udp: true },
    { name: '127.0.0.1', publish: '127.0.0.1:', connect: '127.0.0.1', via: 'vm-net', udp: true },
    hostIp
      ? { name: `host address ${hostIp}`, publish: `${hostIp}:`, connect: hostIp, via: 'vm-net', udp: true }
      : {
          name: 'host address',
          publish: '',
          connect: '',
          via: 'vm-net',
          udp: true,
          skip: 'this host has no IPv4 address besides loopback',
        },
    // The VM's network forwards from IPv4 host addresses only: TCP on ::1 is the host's listener over the data
    // plane, and UDP on ::1 is reported as not forwarded (asserted below).
    { name: '::1', publish: '[::1]:', connect: '::1', via: 'host', udp: false },
  ];
  const ports = new Map<string, Record<'http' | 'fin' | 'sfin' | 'udp', number>>();
  /** The VM's network, which carries the IPv4 forms: passt where set-up unpacked one. */
  let vmNet: 'passt' | 'qemu';

  /** Which program listens on ip:port on the host: the VM's network (passt, QEMU) or Berth's host. */
  async function holder(ip: string, port: number): Promise<string> {
    const lines = (await host(`ss -Hltnp 'sport = :${port}'`)).stdout.split('\n');
    const line = lines.find((l) => l.includes(net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`)) ?? '';
    const pid = /pid=(\d+)/.exec(line)?.[1];
    if (!pid) return `unknown: ${lines.join(' / ').trim()}`;
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /passt/.test(cmd)
      ? 'passt'
      : /qemu-system/.test(cmd)
        ? 'qemu'
        : /node|berth/.test(cmd)
          ? 'host'
          : `pid ${pid}: ${cmd}`;
  }

  before(async () => {
    const r = await env.start();
    assert.equal(r.code, 0, r.stderr);
    host = hostCommand({ ...env.env, DOCKER_HOST: `unix://${env.data.dockerSocket}` });
    await buildScratch(env.docker(), IMG, 'port-conformance');
    vmNet = (await env.status()).versions?.network?.startsWith('passt') ? 'passt' : 'qemu';
  });

  it('runs on passt where this host has one, and says so in berth status', async () => {
    const network = (await env.cli(['status'])).stdout.split('\n').find((l) => l.startsWith('network:')) ?? '';
    console.log(`  ${network}`);
    const choice = passtFor();
    if ('reason' in choice) assert.match(network, /QEMU user network/);
    else assert.match(network, new RegExp(`passt ${choice.version.replace(/[.~+]/g, '\\$&')}`));
  });
  after(async () => {
    await host(
      `docker rm -f ${NAME} pc-taken pc-next pc-v6udp >/dev/null 2>&1; docker rmi ${IMG} >/dev/null 2>&1`,
    ).catch(() => undefined);
    await env.dispose();
  });

  it('each form answers HTTP, keeps half-close both ways and echoes UDP to the sender', async () => {
    const publish: string[] = [];
    for (const f of forms) {
      if (f.skip) {
        console.log(`  skipped: ${f.name}: ${f.skip}`);
        continue;
      }
      const p = {
        http: await freeTcpPort(),
        fin: await freeTcpPort(),
        sfin: await freeTcpPort(),
        udp: await freeTcpPort(),
      };
      ports.set(f.name, p);
      publish.push(
        `-p ${f.publish}${p.http}:8000 -p ${f.publish}${p.fin}:9000 -p ${f.publish}${p.sfin}:9002 -p ${f.publish}${p.udp}:9001/udp`,
      );
    }
    const run = await host(
      `docker run -d --name ${NAME} ${publish.join(' ')} -v /:/host:ro ${IMG} chroot /host /usr/local/bin/node -e "${SERVER}"`,
    );
    assert.equal(run.code, 0, run.stderr);
    const py = (mode: string, h: string, port: number) =>
      host(`python3 -c '${PY.replace(/'/g, `'\\''`)}' ${mode} ${h} ${port}`).then((r) =>
        r.code === 0 ? r.stdout.trim() : `failed: ${r.stderr.trim().split('\n').pop()}`,
      );
    const url = (h: string, port: number) => `http://${net.isIPv6(h) ? `[${h}]` : h}:${port}/ask`;
    const first = [...ports.entries()];
    for (const [name, p] of first) {
      const f = forms.find((x) => x.name === name);
      await waitFor(
        `${name}: HTTP`,
        async () =>
          (await host(`curl -gsS --max-time 5 ${url(f?.connect ?? '', p.http)}`)).stdout === 'hello /ask'
            ? true
            : undefined,
        3 * MIN,
      );
    }

    // Every cell measured first, the table printed, then each cell asserted.
    const rows: Array<{ f: Form; cells: Record<string, string> }> = [];
    for (const f of forms) {
      const p = ports.get(f.name);
      if (!p) continue;
      const curl = await host(`curl -gsS --max-time 10 ${url(f.connect, p.http)}`);
      const fin = await py('client-fin', f.connect, p.fin);
      const sfin = await py('server-fin', f.connect, p.sfin);
      // The server logs what it got after its own FIN: one line per form so far.
      const afterFin = await waitFor(
        `${f.name}: the server's count`,
        async () => {
          const lines = (await host(`docker logs ${NAME}`)).stdout.split('\n').filter((l) => l.startsWith('after-fin'));
          return lines.length > rows.length ? lines[rows.length] : undefined;
        },
        MIN,
      ).catch(() => 'no count');
      const udp = f.udp
        ? await waitFor(
            `${f.name}: UDP`,
            async () => {
              const a = await py('udp', f.connect, p.udp);
              return a === 'echo:ping' ? a : undefined;
            },
            MIN,
          ).catch(() => 'no echo')
        : 'reported (next test)';
      const via = await holder(f.connect, p.http);
      // A wildcard publish also answers on the host's ::1 (`localhost` may resolve there first).
      const curl6 = f.name === 'wildcard' ? await host(`curl -gsS --max-time 10 ${url('::1', p.http)}`) : null;
      rows.push({
        f,
        cells: {
          curl: curl.stdout || curl.stderr.trim(),
          ...(curl6 ? { curl6: curl6.stdout || curl6.stderr.trim() } : {}),
          fin,
          sfin: `${sfin}, then ${afterFin}`,
          udp,
          via,
        },
      });
    }
    console.log(
      [
        'form | HTTP (curl; wildcard: also on [::1]) | client half-close | server half-close | UDP echo | host port held by',
        ...rows.map((r) => [r.f.name, ...Object.values(r.cells)].join(' | ')),
      ]
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    for (const { f, cells } of rows) {
      assert.equal(cells.curl, 'hello /ask', `${f.name}: curl`);
      if (f.name === 'wildcard') assert.equal(cells.curl6, 'hello /ask', 'wildcard: curl on [::1]');
      assert.equal(cells.fin, 'got 100000', `${f.name}: the reply after our half-close`);
      assert.equal(
        cells.sfin,
        'bye, then after-fin 70000',
        `${f.name}: the server's half-close, then what we sent after it`,
      );
      if (f.udp) assert.equal(cells.udp, 'echo:ping', `${f.name}: UDP echo`);
      assert.equal(cells.via, f.via === 'vm-net' ? vmNet : 'host', `${f.name}: who holds the host port`);
    }
  });

  it('UDP on ::1 is reported in status with its reason', async () => {
    const udp = await freeTcpPort();
    const run = await host(`docker run -d --name pc-v6udp -p [::1]:${udp}:9001/udp ${IMG} sleep 600`);
    assert.equal(run.code, 0, run.stderr);
    try {
      const err = await waitFor(
        'the ::1 UDP report',
        async () => (await env.status()).portErrors?.find((e) => e.container === 'pc-v6udp'),
        MIN,
      );
      assert.match(err.message, /IPv4 host addresses only/);
    } finally {
      await host('docker rm -f pc-v6udp');
    }
  });

  it('a host port another program holds is reported in berth status with the container named', async () => {
    const port = await freeTcpPort();
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const run = await host(`docker run -d --name pc-taken -p 127.0.0.1:${port}:8000 ${IMG} sleep 600`);
      assert.equal(run.code, 0, run.stderr);
      const line = await waitFor(
        'the port error',
        async () =>
          (await env.cli(['status'])).stdout
            .split('\n')
            .find((l) => l.startsWith('port error') && l.includes(String(port))),
        MIN,
      );
      console.log(`  ${line}`);
      assert.match(line, new RegExp(`127\\.0\\.0\\.1:${port} is already in use .*container pc-taken`));
      // The failed forward holds nothing back: a publish after it is forwarded (passt applies no
      // change while a rule it could not bind stays in its table).
      const next = await freeTcpPort();
      const ok = await host(
        `docker run -d --name pc-next -p 127.0.0.1:${next}:8000 -v /:/host:ro ${IMG} chroot /host /usr/local/bin/node -e "${SERVER}"`,
      );
      assert.equal(ok.code, 0, ok.stderr);
      await waitFor(
        'a publish after the taken one',
        async () =>
          (await host(`curl -sS --max-time 5 http://127.0.0.1:${next}/n`)).stdout === 'hello /n' ? true : undefined,
        MIN,
      );
    } finally {
      await host('docker rm -f pc-taken pc-next');
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    await waitFor(
      'the error to go with the container',
      async () => ((await env.status()).portErrors?.some((e) => e.container === 'pc-taken') ? undefined : true),
      MIN,
    );
  });
});
