// The seam between the engine and a hypervisor: "a VM that boots this image with these disks,
// shares, ports and channels", started, watched and stopped. QEMU is the driver today (every
// platform); Apple's Virtualization.framework and WSL 2, which Docker Desktop and Rancher
// Desktop use on macOS and Windows, would be others behind the same interface.
import type { EventEmitter } from 'node:events';
import type { Accelerator } from './accel-args.ts';
import type { VmImage } from '../image/vm-image.ts';
import type { UserNetForwards } from './port-forwarder.ts';
import type { DataDir } from './paths.ts';
import type { RetireOptions } from './stale-vm.ts';

/** How a VM ended: its exit code or signal, whether Berth asked for it, the hypervisor's last words. */
export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we asked for it (stop); false means a crash or an outside kill. */
  expected: boolean;
  stderr: string;
}

/** Host folders shared into the guest over virtiofs (vhost-user): each served by a daemon the host started. */
export interface SharedFolders {
  devices: Array<{ tag: string; hostPath: string; socket: string }>;
  /** The guest's mount list ("tag<TAB>path" per line), read at boot; absent when nothing is shared. */
  listFile?: string;
}

/** What any hypervisor is asked to run: Berth's VM, in Berth's words. */
export interface VmSpec {
  image: VmImage;
  accel: Accelerator;
  cpus: number;
  memoryMiB: number;
  /** The qcow2 data disk (both image stores, the volumes). */
  dataDisk: string;
  /** The host loopback port that reaches the guest's SSH server. */
  sshPort: number;
  /** Where the guest's serial console is written. */
  consoleLog: string;
  /** Files the guest reads at boot: Berth's public key, this install's SSH host key, dockerd's daemon.json. */
  bootFiles: { authorizedKeys: string; hostKey: string; daemonJson?: string };
  /** Unix sockets the host connects to for the guest's byte channels: the data plane, the agent at boot. */
  channels: { mux?: string; boot?: string };
  shares: SharedFolders;
  /** The driver's own control channel and pid file: a later host attaches through them. */
  control: { socket: string; pidFile: string };
  /** Extra hypervisor arguments (a debugging knob, BERTH_QEMU_ARGS): the driver that understands them appends them. */
  hypervisorArgs?: string[];
}

/**
 * A change of the VM's run state as any hypervisor can say it: it shut down (with the
 * hypervisor's reason, e.g. 'guest-reset'), its vCPUs stopped, or the guest panicked.
 */
export interface RunStateChange {
  change: 'shutdown' | 'stopped' | 'panicked';
  reason?: string;
}

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
  /** The VM's network as `berth status` names it ("passt 0.0~git20261002", or QEMU's user network and why). */
  readonly network?: string;
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
  /** The hypervisor process an earlier host left running on this data dir (adopted or retired), or null. */
  findLeftover(data: DataDir): number | null;
  /** Ends that leftover (the guest asked first) and resolves once the data disk is free. */
  retire(data: DataDir, pid: number, o: RetireOptions): Promise<void>;
}
