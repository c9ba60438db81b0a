// Per-key validation with messages that name the key, for the CLI, the API and the dashboard.
import os from 'node:os';
import { AcceleratorSettingSchema, MAX_DISK_GIB, MIN_DISK_GIB, MIN_MEMORY_MIB, type SettingKey } from './schema.ts';

export interface HostLimits {
  cpus: number;
  memoryMiB: number;
}

export function hostLimits(): HostLimits {
  return { cpus: os.availableParallelism?.() ?? os.cpus().length, memoryMiB: Math.floor(os.totalmem() / (1024 * 1024)) };
}

export interface SettingError {
  key: string;
  /** A full sentence that names the key. */
  message: string;
}

/**
 * dockerd refuses to start when a daemon.json key repeats one of its command-line flags, and
 * the store key belongs to the toggle: these are refused before they can break the engine.
 */
const RESERVED_DAEMON_KEYS: Record<string, string> = {
  hosts: 'Berth sets dockerd\'s listening socket itself (-H fd://); dockerd would refuse to start',
  containerd: 'Berth points dockerd at the VM\'s containerd itself (--containerd); dockerd would refuse to start',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function wholeInRange(key: string, v: unknown, min: number, max: number, unit: string, why: string): string | null {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    return `${key} must be a whole number from ${min} to ${max}${unit} (${why}); got ${JSON.stringify(v)}`;
  }
  return null;
}

/**
 * Checks one value. Without host limits only the shape and fixed bounds are checked (loading a
 * file, admin locks); with them, the host's cores and memory bound the VM.
 */
export function validateValue(key: SettingKey, v: unknown, limits?: HostLimits): string | null {
  switch (key) {
    case 'useContainerdSnapshotter':
      return typeof v === 'boolean' ? null : `${key} must be true or false; got ${JSON.stringify(v)}`;
    case 'dockerEngine': {
      if (!isPlainObject(v)) return `${key} must be a JSON object (the keys of daemon.json); got ${JSON.stringify(v)}`;
      const features = v.features;
      if (features !== undefined && !isPlainObject(features)) return `${key}.features must be a JSON object`;
      if (features && 'containerd-snapshotter' in features) {
        return `${key}.features.containerd-snapshotter cannot be set here: the image store is chosen by the useContainerdSnapshotter setting ("Use containerd for pulling and storing images")`;
      }
      for (const [k, why] of Object.entries(RESERVED_DAEMON_KEYS)) {
        if (k in v) return `${key}.${k} cannot be set: ${why}`;
      }
      return null;
    }
    case 'vm.cpus':
      return wholeInRange(key, v, 1, limits?.cpus ?? Number.MAX_SAFE_INTEGER, '', limits ? `this host has ${limits.cpus} CPU cores` : 'CPU cores');
    case 'vm.memoryMiB':
      return wholeInRange(key, v, MIN_MEMORY_MIB, limits?.memoryMiB ?? Number.MAX_SAFE_INTEGER, ' MiB',
        limits ? `this host has ${limits.memoryMiB} MiB` : 'the VM needs at least 1 GiB');
    case 'vm.diskGiB':
      return wholeInRange(key, v, MIN_DISK_GIB, MAX_DISK_GIB, ' GiB', 'the VM data disk size');
    case 'accelerator':
      return AcceleratorSettingSchema.safeParse(v).success ? null : `${key} must be one of auto, kvm, tcg; got ${JSON.stringify(v)}`;
  }
}
