// The VM data disk's size as the settings see it: the qcow2 header's virtual size.
import fs from 'node:fs';

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/** The disk's virtual size in GiB, or null when there is no disk (or it is not a qcow2). */
export function dataDiskGiB(file: string): number | null {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch { return null; }
  try {
    const header = Buffer.alloc(32);
    if (fs.readSync(fd, header, 0, 32, 0) < 32 || header.readUInt32BE(0) !== QCOW2_MAGIC) return null;
    // Header: magic, version, backing_file_offset (8), backing_file_size, cluster_bits, then size (8) at 24.
    return Number(header.readBigUInt64BE(24) / BigInt(1024 ** 3));
  } finally {
    fs.closeSync(fd);
  }
}
