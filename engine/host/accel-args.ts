// QEMU's -accel and -cpu for each accelerator (shared by real boots and the kernel probe).
import os from 'node:os';

export type Accelerator = 'kvm' | 'hvf' | 'whpx' | 'tcg';

const MiB = 1024 * 1024;

/**
 * TCG's translation cache in MiB: an 8th of the host's memory, between 256 MiB and 1 GiB (QEMU's
 * own default rule, written out because Berth used to cap it at 256 MiB).
 * dockerd, containerd and buildkit's code alone fills 256 MiB: measured under TCG, the cache was
 * flushed 25 times in the 270 s of the image-stores tests, and all of it translated again each
 * time; with 1 GiB, none, and the same tests took 195 s. The cache becomes resident memory as it
 * fills, hence the share of the host's.
 */
export function tcgCacheMiB(hostMemBytes = os.totalmem()): number {
  return Math.min(1024, Math.max(256, Math.floor(hostMemBytes / MiB / 8 / 128) * 128));
}

export function accelArgs(accel: Accelerator, hostMemBytes?: number): string[] {
  switch (accel) {
    case 'kvm':
      return ['-accel', 'kvm', '-cpu', 'host'];
    case 'hvf':
      return ['-accel', 'hvf', '-cpu', 'host'];
    case 'whpx':
      return ['-accel', 'whpx,kernel-irqchip=off', '-cpu', 'max'];
    case 'tcg':
      return ['-accel', `tcg,thread=multi,tb-size=${tcgCacheMiB(hostMemBytes)}`, '-cpu', 'max'];
  }
}
