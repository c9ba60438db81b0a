// What the VM may use on this host: the one rule for the dashboard's bounds and the service's checks.
import os from 'node:os';
import { MAX_DISK_GIB, MIN_DISK_GIB, MIN_MEMORY_MIB } from '../api/settings-schema.ts';
import type { SettingsLimits } from '../api/settings-types.ts';
import { dataDiskGiB } from '../../../engine/host/vm-files.ts';

/** The host's share: every core, all memory but 1 GiB left to the host. */
export type HostShare = Pick<SettingsLimits, 'maxCpus' | 'maxMemoryMiB'>;

export function hostShare(): HostShare {
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  const memoryMiB = Math.floor(os.totalmem() / 2 ** 20);
  return { maxCpus: cpus, maxMemoryMiB: Math.max(MIN_MEMORY_MIB, memoryMiB - 1024) };
}

/** The host's share plus the disk bounds: the existing data disk never shrinks. */
export function hostLimits(dataDisk: string, share: HostShare = hostShare()): SettingsLimits {
  const disk = dataDiskGiB(dataDisk);
  return { ...share, minDiskGiB: Math.max(MIN_DISK_GIB, disk ?? 0), maxDiskGiB: MAX_DISK_GIB };
}
