// QEMU's -accel and -cpu for each accelerator (shared by real boots and the kernel probe).
export type Accelerator = 'kvm' | 'hvf' | 'whpx' | 'tcg';

/** TCG gets threads and a bounded translation cache (its RSS otherwise grows past 1 GB). */
export function accelArgs(accel: Accelerator): string[] {
  switch (accel) {
    case 'kvm':
      return ['-accel', 'kvm', '-cpu', 'host'];
    case 'hvf':
      return ['-accel', 'hvf', '-cpu', 'host'];
    case 'whpx':
      return ['-accel', 'whpx,kernel-irqchip=off', '-cpu', 'max'];
    case 'tcg':
      return ['-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max'];
  }
}
