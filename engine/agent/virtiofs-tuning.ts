// Guest-side settings of each shared folder's mount, applied by the agent when it starts (the
// mounts are made earlier, in the initramfs; settings here need no image rebuild). The kernel
// reads a FUSE file ahead by 128 KiB, so a sequential read costs one host round trip per 128
// KiB: a larger window sends fewer, larger reads (the file-sharing bench's "read 64 MiB").
// Coherence is unchanged: the window only decides how much is fetched per request.
import fs from 'node:fs';

/** Chosen by e2e/bench/file-sharing-bench.ts (see the README's shared folders). */
export const VIRTIOFS_READ_AHEAD_KB = 4096;

/** The "major:minor" and mount point of each virtiofs mount in a mountinfo text. */
export function virtiofsMountDevices(mountinfo: string): Array<{ dev: string; mountPoint: string }> {
  const out: Array<{ dev: string; mountPoint: string }> = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right || right.split(' ')[0] !== 'virtiofs') continue;
    const f = left.split(' ');
    if (f[2] && f[4])
      out.push({
        dev: f[2],
        mountPoint: f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
      });
  }
  return out;
}

/** Sets each virtiofs mount's read-ahead; what it set, by mount point. Errors are logged, not thrown. */
export function tuneVirtiofsMounts(
  sysfs = '/sys',
  mountinfo = '/proc/self/mountinfo',
  kb = VIRTIOFS_READ_AHEAD_KB,
): string[] {
  let text = '';
  try {
    text = fs.readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  const done: string[] = [];
  const seen = new Set<string>();
  for (const m of virtiofsMountDevices(text)) {
    if (seen.has(m.dev)) continue; // a share's submounts and bind mounts share its device
    seen.add(m.dev);
    try {
      fs.writeFileSync(`${sysfs}/class/bdi/${m.dev}/read_ahead_kb`, `${kb}\n`);
      done.push(m.mountPoint);
    } catch (e) {
      console.error(`virtiofs: read-ahead of ${m.mountPoint} not set: ${(e as Error).message}`);
    }
  }
  return done;
}
