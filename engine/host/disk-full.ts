// "No space left on device" from the VM, turned into advice: the VM's data disk is full, how full,
// and what frees space. The CLI and the dashboard show the same words (the error's message).
export interface DiskFill {
  size: number;
  used: number;
  free: number;
}

export function isDiskFull(e: Error): boolean {
  return /ENOSPC|no space left on device/i.test(e.message);
}

const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(1)} GiB`;

/** `hidden`: the store that holds what the user does not see now, the first thing to reclaim. */
export function diskFullAdvice(cause: Error, fill: DiskFill | null, hidden: 'containerd' | 'classic'): Error {
  const how = fill ? ` (${gib(fill.used)} of ${gib(fill.size)} used, ${gib(fill.free)} free)` : '';
  return new Error(
    `the VM's data disk is full${how}, so the engine could not write (${cause.message}). ` +
      `To free space: 'berth df' shows what uses it (the dashboard's Disk view too); 'berth store reclaim ${hidden}' deletes ` +
      `the hidden ${hidden} store's images and containers; 'docker system prune' removes unused data; or give the disk ` +
      `more room with 'berth settings set vm.diskGiB=N' (it only grows)`,
  );
}
