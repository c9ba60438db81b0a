// The VmDriver on QEMU: Berth's VmSpec in QEMU's terms (its command line, QMP as the control
// channel, fw_cfg for the boot files, virtio-serial for the channels, vhost-user-fs for shares,
// passt or QEMU's user network for the VM's network and published ports).
import path from 'node:path';
import type { VmConfig } from './qemu-args.ts';
import { firmwareDirs, selectQemu } from './qemu-runtime.ts';
import { QemuVm } from './qemu-vm.ts';
import { qemuForwards } from './qemu-hostfwd.ts';
import { passtLink, passtMode, passtPaths, passtPid } from './passt-net.ts';
import { passtForwards, pestoCommand } from './passt-forwards.ts';
import { processListens } from './socket-owner.ts';
import { passtFor, type PasstChoice } from './passt-runtime.ts';
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

/** passt's files for a spec: its sockets beside QEMU's control socket, its log beside the console's. */
function passtPathsOf(spec: VmSpec) {
  return passtPaths(path.dirname(spec.control.socket), path.dirname(spec.consoleLog));
}

export function qemuDriver(given?: string, network: PasstChoice = passtFor()): VmDriver {
  const { binary, reason } = given ? { binary: given, reason: 'given to the driver' } : selectQemu();
  const firmware = firmwareDirs(binary);
  // Asked once per driver: a boot's network mode and the status's versions both read it.
  let known: string | undefined | null = null;
  const version = (): string | undefined => {
    if (known === null) known = qemuVersion(binary);
    return known;
  };
  return {
    name: 'QEMU',
    binary,
    reason,
    version,
    create: (spec) => {
      if ('reason' in network) {
        const vm = new QemuVm(binary, qemuConfig(spec, firmware));
        vm.network = `QEMU user network (${network.reason})`;
        return Object.assign(vm, { userNetForwards: () => qemuForwards(vm) });
      }
      const paths = passtPathsOf(spec);
      const mode = passtMode(process.env, version());
      const vm = new QemuVm(binary, qemuConfig(spec, firmware), passtLink(network, paths, spec.sshPort, mode));
      const onPasst = passtForwards(pestoCommand(network.pesto, paths.control), {
        alive: () => passtPid(paths) !== null,
        passtListens: (protocol, ip, port) => {
          const pid = passtPid(paths);
          return pid === null ? undefined : processListens(pid, protocol, ip, port);
        },
      });
      return Object.assign(vm, { userNetForwards: () => (vm.usesLink ? onPasst : qemuForwards(vm)) });
    },
    findLeftover: findDataDirQemu,
    retire: retireQemu,
  };
}
