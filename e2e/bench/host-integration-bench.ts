// Host integration benchmark: prints numbers, asserts nothing. Shared-folder (virtiofs) read/write
// beside the VM's own data disk. (Published ports are measured by the data-plane benchmark.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController } from '../../engine/host/engine-controller.ts';

const MB = 1e6;
const rate = (bytes: number, ms: number): number => bytes / MB / (ms / 1000);

/** dd's "… copied, 1.2 s, 55 MB/s" as MB/s. */
function ddRate(out: string): number {
  const m = out.match(/(\d+) bytes .* copied, ([\d.]+) s/);
  return m ? rate(Number(m[1]), Number(m[2]) * 1000) : NaN;
}

export async function bench(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-hi-'));
  const share = path.join(root, 'share');
  fs.mkdirSync(share);
  const engine = new EngineController({
    data: new DataDir(path.join(root, 'home')),
    fileSharing: [share],
    log: () => {},
  });
  try {
    const st = await engine.start();
    console.log(
      `accelerator:            ${st.accelerator}; file sharing: ${st.fileSharing?.mechanism}${st.fileSharing?.message ? ` (${st.fileSharing.message})` : ''}`,
    );
    const dd = async (dir: string): Promise<{ write: number; read: number }> => {
      const f = `${dir}/berth-bench.bin`;
      const w = await engine.guest.run(`dd if=/dev/zero of=${f} bs=1M count=64 conv=fsync 2>&1`, {
        timeoutMs: 600_000,
      });
      await engine.guest.run('sync; echo 3 > /proc/sys/vm/drop_caches');
      const r = await engine.guest.run(`dd if=${f} of=/dev/null bs=1M 2>&1`, { timeoutMs: 600_000 });
      await engine.guest.run(`rm -f ${f}`);
      return { write: ddRate(w), read: ddRate(r) };
    };
    if (st.fileSharing?.mechanism === 'virtiofs') {
      const shared = await dd(share);
      const disk = await dd('/mnt/data');
      console.log(
        `shared folder write:    ${shared.write.toFixed(1)} MB/s   VM disk ${disk.write.toFixed(1)} MB/s   ratio ${(shared.write / disk.write).toFixed(2)}`,
      );
      console.log(
        `shared folder read:     ${shared.read.toFixed(1)} MB/s   VM disk ${disk.read.toFixed(1)} MB/s   ratio ${(shared.read / disk.read).toFixed(2)} (64 MiB, guest cache dropped)`,
      );
    } else {
      console.log('shared folder:          not measured (no file sharing on this host)');
    }
  } finally {
    await engine.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}
