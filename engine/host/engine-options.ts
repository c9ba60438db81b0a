// What an EngineController is made with, and the environment each boot gets from it: the options
// are read again at every boot (the settings behind them may have changed since), with the boot's
// defaults filled in here.
import type { AcceleratorSetting, ProbeDeps } from './accelerator.ts';
import type { BootEnv } from './engine-boot.ts';
import type { ConnectGuest } from './guest-link.ts';
import type { DataDir } from './paths.ts';
import type { VmDriver } from './vm-driver.ts';

export interface EngineOptions {
  data: DataDir;
  cpus?: number;
  memoryMiB?: number;
  diskGiB?: number;
  accelerator?: AcceleratorSetting;
  /** Write the `berth` docker context on start (off in tests, which set DOCKER_CONFIG anyway). */
  dockerContext?: boolean;
  bootTimeoutMs?: number;
  extraQemuArgs?: () => string[];
  /**
   * The engine configuration the settings ask for; applied through the agent at every start. It
   * gets the guest (dockerd up, no store applied yet) so it can look at the data disk first.
   */
  engineConfig?: BootEnv['engineConfig'];
  /**
   * The whole daemon.json this boot should start dockerd with (store toggle + user keys), handed
   * over before dockerd's first start; null while the store is undecided (an old settings file).
   */
  bootDaemonJson?: () => string | null;
  /** Host folders shared into the VM at the same path (settings: fileSharing); none when absent. */
  fileSharing?: string[];
  /** Host-integration log lines (ports, file sharing); default: stdout with a timestamp. */
  log?: (line: string) => void;
  /** The hypervisor (default: QEMU); unit tests pass a fake. */
  driver?: VmDriver;
  /** How the guest is reached (default: SSH with this install's pinned keys); unit tests pass a fake. */
  connectGuest?: ConnectGuest;
  /** The accelerator probe (default: boot Berth's kernel); unit tests pass a fake. */
  probe?: ProbeDeps['probe'];
}

/** What the controller itself gives a boot: the rest comes from the options. */
type BootParts = Pick<BootEnv, 'driver' | 'connectGuest' | 'dockerSock' | 'agentSock' | 'log' | 'patch' | 'streams'>;

export function bootEnvOf(o: EngineOptions, parts: BootParts): BootEnv {
  return {
    ...parts,
    data: o.data,
    cpus: o.cpus ?? 2,
    memoryMiB: o.memoryMiB ?? 2048,
    fileSharing: o.fileSharing ?? [],
    bootTimeoutMs: o.bootTimeoutMs ?? 240_000,
    dockerContext: o.dockerContext ?? false,
    // BERTH_QEMU_ARGS: a debugging knob (a monitor socket, a trace), split on white space.
    extraQemuArgs: o.extraQemuArgs?.() ?? (process.env.BERTH_QEMU_ARGS ?? '').split(/\s+/).filter(Boolean),
    bootDaemonJson: o.bootDaemonJson?.() ?? null,
    engineConfig: o.engineConfig,
  };
}
