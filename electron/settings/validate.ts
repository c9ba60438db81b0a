// Per-key validation with messages that name the key, for the CLI, the API and the dashboard.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
 * Folders the VM itself lives in: a share mounted over one of them (same path in the VM) would
 * hide the VM's own system or Docker's data.
 */
const VM_SYSTEM_DIRS = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/lib', '/var/run', '/mnt/data'];
const MAX_SHARED_FOLDERS = 16;

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(`${parent}/`);
}

/** The list of shared host folders; with host limits (a change), each must exist as a folder. */
function validateSharedFolders(key: string, v: unknown, checkHost: boolean): string | null {
  if (!Array.isArray(v) || !v.every((f) => typeof f === 'string')) return `${key} must be a list of folder paths; got ${JSON.stringify(v)}`;
  if (v.length > MAX_SHARED_FOLDERS) return `${key} can hold at most ${MAX_SHARED_FOLDERS} folders; got ${v.length}`;
  const seen: string[] = [];
  for (const f of v as string[]) {
    if (!path.isAbsolute(f)) return `${key}: ${JSON.stringify(f)} is not an absolute path`;
    if (/[\t\n\r]/.test(f)) return `${key}: ${JSON.stringify(f)} contains a tab or a line break`;
    const norm = path.posix.normalize(f).replace(/(.)\/+$/, '$1');
    if (norm === '/') return `${key}: the root folder cannot be shared (the VM's own system would be hidden)`;
    const system = VM_SYSTEM_DIRS.find((d) => isInside(norm, d) || isInside(d, norm));
    if (system) return `${key}: ${f} cannot be shared: it would cover the VM's ${system}`;
    const overlap = seen.find((s) => isInside(norm, s) || isInside(s, norm));
    if (overlap) return `${key}: ${f} overlaps ${overlap}, which is already in the list`;
    seen.push(norm);
    if (checkHost) {
      let dir = false;
      try { dir = fs.statSync(norm).isDirectory(); } catch { /* missing */ }
      if (!dir) return `${key}: ${f} does not exist on this host or is not a folder`;
    }
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
    case 'fileSharing':
      return validateSharedFolders(key, v, limits !== undefined);
  }
}
