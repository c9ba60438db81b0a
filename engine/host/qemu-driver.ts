// The VmDriver on QEMU: Berth's VmSpec in QEMU's terms (its command line, QMP as the control
// channel, fw_cfg for the boot files, virtio-serial for the channels, vhost-user-fs for shares).
import type { VmConfig } from './qemu-args.ts';
import { firmwareDirs, selectQemu } from './qemu-runtime.ts';
import { QemuVm } from './qemu-vm.ts';
import { qemuForwards } from './qemu-hostfwd.ts';
import { qemuVersion } from './vm-files.ts';
import type { VmDriver, VmSpec } from './vm-driver.ts';
import { findDataDirQemu, retireQemu } from './stale-vm.ts';

/** QEMU's configuration for a spec; firmware: an unpacked QEMU's own directories, searched first. */
export function qemuConfig(spec: VmSpec, firmware: string[] = []): VmConfig {
  return {
    image: spec.image,
    accel: spec.accel,
    cpus: spec.cpus,
    memoryMiB: spec.memoryMiB,
    dataDisk: spec.dataDisk,
    sshPort: spec.sshPort,
    consoleLog: spec.consoleLog,
    authorizedKeysFile: spec.bootFiles.authorizedKeys,
    hostKeyFile: spec.bootFiles.hostKey,
    ...(spec.bootFiles.daemonJson ? { daemonJsonFile: spec.bootFiles.daemonJson } : {}),
    qmpSocket: spec.control.socket,
    pidFile: spec.control.pidFile,
    ...(spec.channels.mux ? { muxSocket: spec.channels.mux } : {}),
    ...(spec.channels.boot ? { bootSocket: spec.channels.boot } : {}),
    shares: spec.shares,
    extra: spec.hypervisorArgs ?? [],
    ...(firmware.length ? { firmwareDirs: firmware } : {}),
  };
}

export function qemuDriver(given?: string): VmDriver {
  const { binary, reason } = given ? { binary: given, reason: 'given to the driver' } : selectQemu();
  const firmware = firmwareDirs(binary);
  return {
    name: 'QEMU',
    binary,
    reason,
    version: () => qemuVersion(binary),
    create: (spec) => {
      const vm = new QemuVm(binary, qemuConfig(spec, firmware));
      return Object.assign(vm, { userNetForwards: () => qemuForwards(vm) });
    },
    findLeftover: findDataDirQemu,
    retire: retireQemu,
  };
}
