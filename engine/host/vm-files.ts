// Small host-side helpers around the VM: its data disk, a free port, a leftover QEMU.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

/** The persistent data disk (qcow2, grows on use). The guest formats it on first boot. */
export function ensureDataDisk(file: string, sizeGiB: number): void {
  if (fs.existsSync(file)) return;
  const qemuImg = process.env.BERTH_QEMU_IMG ?? (process.platform === 'win32' ? 'qemu-img.exe' : 'qemu-img');
  const r = spawnSync(qemuImg, ['create', '-q', '-f', 'qcow2', `${file}.tmp`, `${sizeGiB}G`], { stdio: 'pipe' });
  if (r.error || r.status !== 0) {
    fs.rmSync(`${file}.tmp`, { force: true });
    const why = r.error ? `'${qemuImg}' not found (Debian: apt-get install qemu-utils)` : r.stderr.toString().trim();
    throw new Error(`could not create the VM data disk: ${why}`);
  }
  fs.renameSync(`${file}.tmp`, file);
  fs.chmodSync(file, 0o600);
}

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A QEMU left running by a host process that died would hold the data disk's lock and block the
 * next start. Its pid file is ours; kill it only if the process is still a QEMU.
 */
export function killStaleQemu(pidFile: string): void {
  let pid: number;
  try { pid = Number(fs.readFileSync(pidFile, 'utf8').trim()); } catch { return; }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('qemu-system') || !cmd.includes(path.dirname(pidFile))) return;
  } catch {
    if (process.platform === 'linux') return; // no such process
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  fs.rmSync(pidFile, { force: true });
}

export function qemuVersion(qemu: string): string | undefined {
  const r = spawnSync(qemu, ['--version'], { encoding: 'utf8' });
  return r.stdout?.match(/version ([\d.]+)/)?.[1];
}
