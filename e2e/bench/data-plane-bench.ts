// Data plane benchmark: prints numbers, asserts nothing. `docker cp` through the host's socket (the
// virtio-serial mux) beside the same copy inside the VM, a published-port download beside the
// same bytes over SSH (the old path), `docker version` round trips, and the host's idle CPU.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';
import { serveFile } from './http-server.ts';

const MIB = 64;
const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;

/** Reads a stream to its end; resolves to the byte count. */
function drain(s: NodeJS.ReadableStream): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    s.on('data', (d: Buffer) => { n += d.length; });
    s.on('end', () => resolve(n));
    s.on('error', reject);
  });
}

/** The guest's own clock around a command: milliseconds it took inside the VM. */
async function insideMs(engine: EngineController, cmd: string): Promise<number> {
  const out = await engine.guest.run(`s=$(date +%s%N); ${cmd} >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`, { timeoutMs: 600_000 });
  return Number(out.trim().split('\n').pop());
}

export async function bench(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-dp-'));
  const engine = new EngineController({ data: new DataDir(path.join(root, 'home')), log: () => {} });
  try {
    const st = await engine.start();
    console.log(`data plane:             ${st.dataPlane} (accelerator ${st.accelerator})`);
    const docker = engine.docker();
    const { container: c, port, url } = await serveFile(docker, MIB, '/dev/urandom');
    try {
      const bytes = MIB * 1048576;
      // Published-port HTTP, host vs inside the VM with the same client: the host-integration bench.
      const h0 = Date.now();
      const got = (await (await fetch(url)).arrayBuffer()).byteLength;
      console.log(`HTTP ${MIB} MiB, port:   ${mbps(got, Date.now() - h0)} on the host (node fetch)`);
      // The SSH path, once, for comparison: the same bytes through an SSH channel to the same port.
      const s0 = Date.now();
      const ssh = await engine.guest.connectTcp('127.0.0.1', port);
      ssh.write(`GET /big HTTP/1.0\r\nHost: x\r\n\r\n`);
      const sshBytes = await drain(ssh);
      console.log(`  over SSH instead:     ${mbps(sshBytes, Date.now() - s0)}`);

      const cp0 = Date.now();
      const cpBytes = await drain(await c.getArchive({ path: '/www/big' }));
      const cpHostMs = Date.now() - cp0;
      const cpVmMs = await insideMs(engine, `docker cp ${c.id}:/www/big - | wc -c`);
      console.log(`docker cp ${MIB} MiB out: host ${mbps(cpBytes, cpHostMs)}   inside the VM ${mbps(bytes, cpVmMs)}   ratio ${(cpVmMs / cpHostMs).toFixed(2)} (goal >= 0.7)`);
    } finally {
      await c.remove({ force: true });
    }

    const rtts: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await docker.version();
      rtts.push(performance.now() - t);
    }
    rtts.sort((a, b) => a - b);
    console.log(`docker version RTT:     p50 ${rtts[24]!.toFixed(1)} ms   p99 ${rtts[49]!.toFixed(1)} ms (50 calls through the socket)`);

    // Nothing happening: the host's CPU time over 10 s (this process is the Berth host here).
    await new Promise((r) => setTimeout(r, 5000));
    const u0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 10_000));
    const u = process.cpuUsage(u0);
    console.log(`idle host CPU:          ${(((u.user + u.system) / 1000) / 10_000 * 100).toFixed(2)} % of one core (10 s, engine running, nothing happening; goal ~0)`);
  } finally {
    await engine.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}
