// Space on the data disk, measured the way the kernel counts it: `du` for directories (blocks, one
// filesystem, hard links once per call) and statfs for the filesystem.
import { execFile } from 'node:child_process';
import fs from 'node:fs';

/** Data disk mount point (berth-init); without a data disk the stores live on the root. */
export const DATA_MOUNT = fs.existsSync('/mnt/data') ? '/mnt/data' : '/var/lib/docker';

/** Bytes each existing directory takes, in one `du` run; a missing one counts 0. */
export function du(dirs: string[]): Promise<Map<string, number>> {
  const present = dirs.filter((d) => fs.existsSync(d));
  const out = new Map<string, number>(dirs.map((d) => [d, 0]));
  if (!present.length) return Promise.resolve(out);
  return new Promise((resolve) => {
    // A file vanishing mid-walk makes du exit 1 with the others measured: keep what it printed.
    execFile('du', ['-sxB1', ...present], { maxBuffer: 16 << 20 }, (_err, stdout) => {
      for (const line of String(stdout).split('\n')) {
        const m = /^(\d+)\t(.+)$/.exec(line);
        if (m) out.set(m[2]!, Number(m[1]));
      }
      resolve(out);
    });
  });
}

export interface FsSpace {
  size: number;
  used: number;
  free: number;
}

export function fsSpace(dir = DATA_MOUNT): FsSpace {
  const st = fs.statfsSync(dir);
  return { size: st.blocks * st.bsize, used: (st.blocks - st.bfree) * st.bsize, free: st.bavail * st.bsize };
}

/** `ctr snapshots usage` prints sizes as "4.0 KiB": back to bytes (three significant digits). */
export function parseHumanBytes(s: string): number {
  const m = /^([\d.]+)\s*([KMGTP]i)?B$/.exec(s.trim());
  if (!m) return 0;
  const unit = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * unit);
}
