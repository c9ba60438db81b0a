// The seam between the engine and a hypervisor: "a VM that boots this image with these disks,
// shares, ports and channels", started, watched and stopped. QEMU is the driver today (every
// platform); Apple's Virtualization.framework and WSL 2, which Docker Desktop and Rancher
// Desktop use on macOS and Windows, would be others behind the same interface.
import type { EventEmitter } from 'node:events';
import type { VmConfig } from './qemu-args.ts';
import { firmwareDirs, selectQemu } from './qemu-runtime.ts';
import { QemuVm, type VmExit } from './qemu-vm.ts';
import { qemuForwards } from './qemu-hostfwd.ts';
import { qemuVersion } from './vm-files.ts';
import type { UserNetForwards } from './port-forwarder.ts';

export type { VmExit } from './qemu-vm.ts';
export type VmSpec = VmConfig;

/**
 * A change of the VM's run state as any hypervisor can say it: it shut down (with the
 * hypervisor's reason, e.g. 'guest-reset'), its vCPUs stopped, or the guest panicked.
 */
export interface RunStateChange { change: 'shutdown' | 'stopped' | 'panicked'; reason?: string }

/** One VM. Emits 'exit' (VmExit) once, and 'run-state' (RunStateChange) as its run state changes. */
export interface VmHandle extends EventEmitter {
  readonly pid: number | undefined;
  readonly running: boolean;
  start(): Promise<void>;
  /** Takes over the hypervisor process pid that an earlier host started with this spec. */
  attach(pid: number, timeoutMs?: number): Promise<void>;
  /** A clean power-off, then a kill after timeoutMs. */
  stop(timeoutMs?: number): Promise<VmExit>;
  kill(): void;
  /** The hypervisor's run state ('running', 'internal-error', …). */
  status(): Promise<string>;
  consoleTail(lines?: number): string[];
  /** The hypervisor's own messages (its stderr). */
  stderrText(): string;
  /** Port forwards in the VM's user network (TCP and UDP), where the driver has them. */
  userNetForwards(): UserNetForwards | undefined;
}

export interface VmDriver {
  readonly name: string;
  /** The hypervisor program (the accelerator probe runs it too). */
  readonly binary: string;
  /** Why this binary (BERTH_QEMU, a bundled QEMU 10, the system's): `berth status` shows it. */
  readonly reason?: string;
  version(): string | undefined;
  create(spec: VmSpec): VmHandle;
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
      const vm = new QemuVm(binary, firmware.length ? { ...spec, firmwareDirs: firmware } : spec);
      return Object.assign(vm, { userNetForwards: () => qemuForwards(vm) });
    },
  };
}
