// Host integration benchmark: prints numbers, asserts nothing. HTTP throughput through a published
// port (host 127.0.0.1 -> SSH link -> dockerd's proxy) beside the same server fetched inside the
// VM, and shared-folder (virtiofs) read/write beside the VM's own data disk.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BUSYBOX } from '../../test/helpers/scratch-image.ts';
import { serveFile } from './http-server.ts';

const execFileP = promisify(execFile);
const MB = 1e6;
const FILE_MIB = 32;
const rate = (bytes: number, ms: number): number => bytes / MB / (ms / 1000);

const TIMES = 3;

/** busybox sh: fetch url TIMES times with busybox wget, timed by busybox time (stderr: "real 0m 1.23s"). */
function wgetLoop(url: string): string {
  return `wget -q -O /dev/null ${url}; time sh -c 'for i in ${Array.from({ length: TIMES }, (_, i) => i + 1).join(' ')}; do wget -q -O /dev/null ${url}; done'`;
}

function timedMs(out: string): number {
  const m = out.match(/real\s+(\d+)m\s*([\d.]+)s/);
  if (!m) throw new Error(`no timing in: ${out}`);
  return (Number(m[1]) * 60 + Number(m[2])) * 1000;
}

/** dd's "… copied, 1.2 s, 55 MB/s" as MB/s. */
function ddRate(out: string): number {
  const m = out.match(/(\d+) bytes .* copied, ([\d.]+) s/);
  return m ? rate(Number(m[1]), Number(m[2]) * 1000) : NaN;
}

export async function bench(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-hi-'));
  const share = path.join(root, 'share');
  fs.mkdirSync(share);
  const engine = new EngineController({ data: new DataDir(path.join(root, 'home')), fileSharing: [share], log: () => {} });
  try {
    const st = await engine.start();
    console.log(`accelerator:            ${st.accelerator}; file sharing: ${st.fileSharing?.mechanism}${st.fileSharing?.message ? ` (${st.fileSharing.message})` : ''}`);
    const docker = engine.docker();
    const { container: c, url } = await serveFile(docker, FILE_MIB, '/dev/zero');
    try {
      // The same client on both sides (busybox wget): on the host through the published port,
      // and in a container on the VM's own network reaching the same dockerd proxy.
      const bytes = TIMES * FILE_MIB * 1048576;
      // Asynchronously: the forwarder runs in this very process.
      const host = await execFileP(BUSYBOX, ['sh', '-c', wgetLoop(url)], { encoding: 'utf8', timeout: 600_000 });
      const viaPort = rate(bytes, timedMs(host.stderr));
      const client = await docker.createContainer({ Image: 'berth-bench/busybox:1', Cmd: ['sh', '-c', wgetLoop(url)], Tty: true, HostConfig: { NetworkMode: 'host' } });
      await client.start();
      await client.wait();
      const inVm = rate(bytes, timedMs((await client.logs({ stdout: true, stderr: true })).toString()));
      await client.remove({ force: true });
      console.log(`published port HTTP:    ${viaPort.toFixed(1)} MB/s on the host   ${inVm.toFixed(1)} MB/s inside the VM   ratio ${(viaPort / inVm).toFixed(2)} (busybox wget, ${TIMES} x ${FILE_MIB} MiB)`);
      // The ceiling the SSH link itself sets (sshd and its cipher run in the VM).
      const l0 = Date.now();
      const raw = await engine.guest.exec(`head -c ${FILE_MIB * 1048576} /dev/zero`, { timeoutMs: 600_000 });
      console.log(`  SSH link alone:       ${rate(raw.stdout.length, Date.now() - l0).toFixed(1)} MB/s (${FILE_MIB} MiB over one channel)`);
    } finally {
      await c.remove({ force: true });
    }

    const dd = async (dir: string): Promise<{ write: number; read: number }> => {
      const f = `${dir}/berth-bench.bin`;
      const w = await engine.guest.run(`dd if=/dev/zero of=${f} bs=1M count=64 conv=fsync 2>&1`, { timeoutMs: 600_000 });
      await engine.guest.run('sync; echo 3 > /proc/sys/vm/drop_caches');
      const r = await engine.guest.run(`dd if=${f} of=/dev/null bs=1M 2>&1`, { timeoutMs: 600_000 });
      await engine.guest.run(`rm -f ${f}`);
      return { write: ddRate(w), read: ddRate(r) };
    };
    if (st.fileSharing?.mechanism === 'virtiofs') {
      const shared = await dd(share);
      const disk = await dd('/mnt/data');
      console.log(`shared folder write:    ${shared.write.toFixed(1)} MB/s   VM disk ${disk.write.toFixed(1)} MB/s   ratio ${(shared.write / disk.write).toFixed(2)}`);
      console.log(`shared folder read:     ${shared.read.toFixed(1)} MB/s   VM disk ${disk.read.toFixed(1)} MB/s   ratio ${(shared.read / disk.read).toFixed(2)} (64 MiB, guest cache dropped)`);
    } else {
      console.log('shared folder:          not measured (no file sharing on this host)');
    }
  } finally {
    await engine.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}
