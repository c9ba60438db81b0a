// Small host-side helpers around the VM: its data disk, a free port, a leftover QEMU.
import fs from 'node:fs';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { previousConsoleLog } from './paths.ts';

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/** The disk's virtual size in GiB, or null when there is no disk (or it is not a qcow2). */
export function dataDiskGiB(file: string): number | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const header = Buffer.alloc(32);
    if (fs.readSync(fd, header, 0, 32, 0) < 32 || header.readUInt32BE(0) !== QCOW2_MAGIC) return null;
    // Header: magic, version, backing_file_offset (8), backing_file_size, cluster_bits, then size (8) at 24.
    return Number(header.readBigUInt64BE(24) / BigInt(1024 ** 3));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Starts a boot's console log (0600). The last boot's console, when it said anything, is kept as
 * previousConsoleLog(file): a guest that panicked is booted once more, and its whole trace must
 * outlive that retry (the host log keeps only the last lines).
 */
export function freshConsoleLog(file: string): void {
  try {
    if (fs.statSync(file).size > 0) fs.renameSync(file, previousConsoleLog(file));
  } catch {
    /* no earlier console */
  }
  fs.writeFileSync(file, '', { mode: 0o600 });
}

export function qemuImgBinary(): string {
  return process.env.BERTH_QEMU_IMG ?? (process.platform === 'win32' ? 'qemu-img.exe' : 'qemu-img');
}

function qemuImg(args: string[], what: string): void {
  const bin = qemuImgBinary();
  const r = spawnSync(bin, args, { stdio: 'pipe' });
  if (r.error || r.status !== 0) {
    const why = r.error ? `'${bin}' not found (Debian: apt-get install qemu-utils)` : r.stderr.toString().trim();
    throw new Error(`could not ${what}: ${why}`);
  }
}

/**
 * The persistent data disk (qcow2, grows on use). A new one is a copy of the image's formatted
 * template when that fits the setting (grown to it: the guest's resize2fs follows at boot), so a
 * first boot formats nothing; otherwise it is blank and the guest formats it on first boot.
 * A disk smaller than the setting (vm.diskGiB was raised) is grown before QEMU opens it, and the
 * filesystem follows the same way. Never shrunk: that would cut a filesystem.
 */
export function ensureDataDisk(file: string, sizeGiB: number, template?: string): void {
  if (fs.existsSync(file)) {
    const current = dataDiskGiB(file);
    if (current !== null && sizeGiB > current)
      qemuImg(['resize', '-q', '-f', 'qcow2', file, `${sizeGiB}G`], `grow the VM data disk to ${sizeGiB} GiB`);
    return;
  }
  const tmp = `${file}.tmp`;
  try {
    const templateGiB = template ? dataDiskGiB(template) : null;
    if (template && templateGiB !== null && templateGiB <= sizeGiB) {
      fs.copyFileSync(template, tmp);
      if (sizeGiB > templateGiB)
        qemuImg(['resize', '-q', '-f', 'qcow2', tmp, `${sizeGiB}G`], `grow the VM data disk to ${sizeGiB} GiB`);
    } else {
      qemuImg(['create', '-q', '-f', 'qcow2', tmp, `${sizeGiB}G`], 'create the VM data disk');
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
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

export function qemuVersion(qemu: string): string | undefined {
  const r = spawnSync(qemu, ['--version'], { encoding: 'utf8' });
  return r.stdout?.match(/version ([\d.]+)/)?.[1];
}
