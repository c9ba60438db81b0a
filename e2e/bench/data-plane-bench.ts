// Data plane benchmark: prints numbers, asserts nothing. A published-port download on the host
// through a wildcard publish and a 127.0.0.1 publish (both forwards of the VM's network, passt on
// Linux, the second to the VM's loopback redirect) beside the same download inside the VM, with
// the same client (busybox wget), and the same bytes carried by the rejected paths: QEMU's user
// network and passt over a stream, each on a hot-plugged NIC (nic-candidates.ts), the
// virtio-serial mux (what ::1 TCP publishes still take) and SSH;
// `docker cp` out of and into a container through the host's socket (the mux) beside the same copy
// inside the VM; API round trips (/version, /_ping) through the socket and inside the VM; the
// host's idle CPU.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { promisify } from 'node:util';
import { GUEST_ADDRESS } from '../../engine/host/port-specs.ts';
import { DOCKER_SOCKET } from '../../engine/agent/guest-sockets.ts';
import { BUSYBOX } from '../../test/helpers/scratch-image.ts';
import { serveFile, timedMs, wgetInVm, wgetLoop } from './http-server.ts';
import {
  type CandidateResult,
  HOTPLUG_PORT_ARGS,
  halfCloseReply,
  passtStreamCandidate,
  userNetCandidate,
} from './nic-candidates.ts';
import { passtFor } from '../../engine/host/passt-runtime.ts';

const execFileP = promisify(execFile);
const TIMES = 2;

const MIB = 64;
const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;

/** Reads a stream to its end; resolves to the byte count. */
function drain(s: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    s.on('data', (d: Buffer) => {
      n += d.length;
    });
    s.on('end', () => resolve(n));
    s.on('error', reject);
  });
}

/** 50 sequential GETs on one kept-alive connection; milliseconds each. Self-contained: it also runs in the VM. */
async function roundTrips(socketPath: string, api: string): Promise<number[]> {
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  for (let i = 0; i < 51; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      http
        .get({ socketPath, path: api, agent }, (r) => {
          r.resume();
          r.on('end', resolve);
        })
        .on('error', reject);
    });
    if (i > 0) out.push(performance.now() - t);
  }
  agent.destroy();
  return out;
}

function percentiles(ms: number[]): { p50: string; p99: string } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)]!.toFixed(1), p99: s[Math.ceil(s.length * 0.99) - 1]!.toFixed(1) };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A tar archive holding one file. */
async function tarOf(name: string, content: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name }, content);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const p of pack) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** The guest's own clock around a command: milliseconds it took inside the VM. */
async function insideMs(engine: EngineController, cmd: string): Promise<number> {
  const out = await engine.guest.run(
    `s=$(date +%s%N); ${cmd} >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`,
    { timeoutMs: 600_000 },
  );
  return Number(out.trim().split('\n').pop());
}

/** The rejected networks, each on a NIC hot-plugged into this VM through QEMU's monitor (a bench-only reach into the running VM). */
export async function printCandidates(
  engine: EngineController,
  network: string,
  port: number,
  vmMs: number,
  all: number,
): Promise<void> {
  type Qmp = (c: string, a?: Record<string, unknown>) => Promise<unknown>;
  const vm = (engine as unknown as { boot?: { vm?: { qmpExecute?: Qmp } } }).boot?.vm;
  const qmp = vm?.qmpExecute?.bind(vm);
  const cvm = qmp ? { qmp, guestRun: (c: string) => engine.guest.run(c) } : null;
  const print = (name: string, r: CandidateResult, how: string) =>
    console.log(
      typeof r === 'string'
        ? `  rejected: ${name}: not measured (${r})`
        : `  rejected: ${name}: ${mbps(all, r.ms)}   ratio ${(vmMs / r.ms).toFixed(2)}   half-close: ${r.halfClose} (${how})`,
    );
  print(
    'QEMU user network',
    cvm ? await userNetCandidate(cvm, port, TIMES) : 'no QEMU monitor here',
    'hot-plugged NIC, MTU 1500',
  );
  if (network.includes('vhost-user')) {
    const rt = passtFor();
    const r = !cvm
      ? 'no QEMU monitor here'
      : 'reason' in rt
        ? rt.reason
        : await passtStreamCandidate(cvm, rt.passt, port, TIMES);
    print('passt over a stream', r, 'hot-plugged NIC, MTU 65520');
  }
}

export async function bench(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dp-'));
  const data = new DataDir(path.join(root, 'home'));
  const engine = new EngineController({ data, log: () => {}, extraQemuArgs: () => HOTPLUG_PORT_ARGS });
  try {
    const st = await engine.start();
    console.log(`data plane:             ${st.dataPlane} (accelerator ${st.accelerator})`);
    const docker = engine.docker();
    const { container: c, port, url, loopbackUrl } = await serveFile(docker, MIB, '/dev/urandom', true);
    const bytes = MIB * 1048576;
    try {
      // Published-port HTTP, host vs inside the VM with the same client. Inside, 127.0.0.1 goes
      // through dockerd's userland proxy and the VM's own address through its DNAT rule: the
      // faster of the two is the reference.
      const hostWget = async (u: string): Promise<number> =>
        timedMs(
          (await execFileP(BUSYBOX, ['sh', '-c', wgetLoop(u, TIMES)], { encoding: 'utf8', timeout: 600_000 })).stderr,
        );
      const hostMs = await hostWget(url);
      const hostLoMs = await hostWget(loopbackUrl ?? url);
      const vmLoMs = await wgetInVm(docker, `http://127.0.0.1:${port}/big`, TIMES);
      const vmAddrMs = await wgetInVm(docker, `http://${GUEST_ADDRESS}:${port}/big`, TIMES);
      const vmMs = Math.min(vmLoMs, vmAddrMs);
      const all = TIMES * bytes;
      console.log(
        `HTTP ${MIB} MiB inside the VM: ${mbps(all, vmMs)} (127.0.0.1 ${mbps(all, vmLoMs)}, ${GUEST_ADDRESS} ${mbps(all, vmAddrMs)}; busybox wget, ${TIMES} x, the faster is the reference)`,
      );
      const network = st.versions?.network ?? 'the VM network';
      const halfClose = await halfCloseReply(port);
      console.log(
        `  -p P:80 (wildcard):      host ${mbps(all, hostMs)}   ratio ${(vmMs / hostMs).toFixed(2)} (${network} -> ${GUEST_ADDRESS}; half-close: ${halfClose}; goal >= 0.4, long-term 0.7)`,
      );
      console.log(
        `  -p 127.0.0.1:P:80:       host ${mbps(all, hostLoMs)}   ratio ${(vmMs / hostLoMs).toFixed(2)} (${network} -> loopback redirect; goal >= 0.4, long-term 0.7)`,
      );
      // The rejected paths, once, for comparison: the same bytes carried by the mux (still the
      // fallback for ::1 TCP publishes; half-close kept), then by SSH.
      for (const [name, carrier] of [
        ['virtio-serial mux', engine.streamCarrier()],
        ['SSH', engine.guest],
      ] as const) {
        const t0 = Date.now();
        const s = await carrier.connectTcp('127.0.0.1', port);
        s.write(`GET /big HTTP/1.0\r\nHost: x\r\n\r\n`);
        const got = await drain(s);
        const ms = Date.now() - t0;
        console.log(`  rejected: ${`${name}:`.padEnd(19)}${mbps(got, ms)}   ratio ${(vmMs / TIMES / ms).toFixed(2)}`);
      }
      await printCandidates(engine, network, port, vmMs, all);
      if (process.env.BERTH_BENCH_DP_PART === 'ports') return; // the ports alone (comparing candidates)

      const cp0 = Date.now();
      const cpBytes = await drain(await c.getArchive({ path: '/www/big' }));
      const cpHostMs = Date.now() - cp0;
      const cpVmMs = await insideMs(engine, `docker cp ${c.id}:/www/big - | wc -c`);
      console.log(
        `docker cp ${MIB} MiB out: host ${mbps(cpBytes, cpHostMs)}   inside the VM ${mbps(bytes, cpVmMs)}   ratio ${(cpVmMs / cpHostMs).toFixed(2)} (goal >= 0.7)`,
      );
      // The other direction, which build contexts and `docker cp` into a container take.
      const inTar = await tarOf('big-in', crypto.randomBytes(bytes));
      const in0 = Date.now();
      await c.putArchive(Readable.from([inTar]), { path: '/www' });
      const cpInHostMs = Date.now() - in0;
      await engine.guest.run(`head -c ${bytes} /dev/urandom > /tmp/big-in`);
      const cpInVmMs = await insideMs(engine, `docker cp /tmp/big-in ${c.id}:/www/big-in-vm`);
      console.log(
        `docker cp ${MIB} MiB in:  host ${mbps(bytes, cpInHostMs)}   inside the VM ${mbps(bytes, cpInVmMs)}   ratio ${(cpInVmMs / cpInHostMs).toFixed(2)}`,
      );
      // `docker save` of a ~200 MB image (the container's layer, committed): a long guest → host
      // stream through the socket beside the same save inside the VM. On the containerd store
      // dockerd's own CPU bounds both (minutes under TCG: it unpacks and packs the layer).
      await engine.guest.run(`docker exec ${c.id} /bin/busybox sh -c 'cat /www/big /www/big /www/big > /www/save-1'`);
      const img = (await c.commit({ repo: 'berth-bench-save', tag: 'latest' })) as { Id: string };
      try {
        const s0 = Date.now();
        const saveBytes = await drain(await docker.getImage('berth-bench-save:latest').get());
        const saveHostMs = Date.now() - s0;
        const saveVmMs = await insideMs(engine, 'docker save berth-bench-save:latest | wc -c');
        console.log(
          `docker save ${(saveBytes / 1e6).toFixed(0)} MB:  host ${mbps(saveBytes, saveHostMs)}   inside the VM ${mbps(saveBytes, saveVmMs)}   ratio ${(saveVmMs / saveHostMs).toFixed(2)}`,
        );
      } finally {
        await docker
          .getImage(img.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    } finally {
      await c.remove({ force: true });
    }

    // Round trips on one kept-alive connection, through the host socket and inside the VM with
    // Node's http on dockerd's socket: /version is mostly dockerd's own work (it runs runc and
    // docker-init for their versions), /_ping mostly the path to it.
    for (const api of ['/version', '/_ping']) {
      const host = percentiles(await roundTrips(data.dockerSocket, api));
      const vm = JSON.parse(
        (
          await engine.guest.run(
            `/usr/local/bin/node --input-type=module -e ${shellQuote(`${roundTrips.toString()}; console.log(JSON.stringify(await roundTrips('${DOCKER_SOCKET}', '${api}')))`)}`,
          )
        ).trim(),
      ) as number[];
      const inVm = percentiles(vm);
      console.log(
        `GET ${api.padEnd(8)} RTT:     host p50 ${host.p50} ms, p99 ${host.p99} ms   inside the VM p50 ${inVm.p50} ms, p99 ${inVm.p99} ms (50 calls, one connection)`,
      );
    }

    // Nothing happening: the host's CPU time over 10 s (this process is the Berth host here).
    await new Promise((r) => setTimeout(r, 5000));
    const u0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 10_000));
    const u = process.cpuUsage(u0);
    console.log(
      `idle host CPU:          ${(((u.user + u.system) / 1000 / 10_000) * 100).toFixed(2)} % of one core (10 s, engine running, nothing happening; goal ~0)`,
    );
  } finally {
    await engine.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}
