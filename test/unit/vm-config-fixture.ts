// A QEMU configuration for command-line tests: the fields every VM has, overridable.
import type { VmConfig } from '../../engine/host/qemu-args.ts';

export function vmConfig(over: Partial<VmConfig> = {}): VmConfig {
  return {
    image: { kernel: 'k', initrd: 'i', rootfs: 'r.img' },
    accel: 'tcg',
    cpus: 2,
    memoryMiB: 2048,
    dataDisk: 'd.qcow2',
    sshPort: 2222,
    qmpSocket: 'q.sock',
    consoleLog: 'c.log',
    authorizedKeysFile: 'ak',
    hostKeyFile: 'hk',
    ...over,
  };
}
