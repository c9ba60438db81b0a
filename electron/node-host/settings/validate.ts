// Per-key validation with messages that name the key, for the file, the CLI, the API and the dashboard.
import fs from 'node:fs';
import path from 'node:path';
import { berthRuleIssues, typeIssues } from '../api/daemon-json.ts';
import {
  AcceleratorSettingSchema,
  MAX_DISK_GIB,
  MAX_SHARED_FOLDERS,
  MIN_DISK_GIB,
  MIN_MEMORY_MIB,
  type SettingKey,
} from '../api/settings-schema.ts';
import type { HostShare } from './host-limits.ts';
import { validateFeature } from './features-rules.ts';

export interface SettingError {
  key: string;
  /** A full sentence that names the key. */
  message: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function wholeInRange(key: string, v: unknown, min: number, max: number, unit: string, why: string): string | null {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    return `${key} must be a whole number from ${min} to ${max}${unit} (${why}); got ${JSON.stringify(v)}`;
  }
  return null;
}

/** daemon.json keys: Berth's rules first (they say why), then the types dockerd would refuse. */
function validateDaemonJson(key: string, v: unknown): string | null {
  if (!isPlainObject(v)) return `${key} must be a JSON object (the keys of daemon.json); got ${JSON.stringify(v)}`;
  const rule = berthRuleIssues(v)[0];
  if (rule) return `${key}.${rule.path.join('.')} ${rule.message}`;
  const bad = typeIssues(v)[0];
  return bad ? `${key}.${bad.path.join('.')}: ${bad.message}` : null;
}

/**
 * Folders the VM itself lives in: a share mounted over one of them (same path in the VM) would
 * hide the VM's own system or Docker's data.
 */
const VM_SYSTEM_DIRS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib64',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var/lib',
  '/var/run',
  '/mnt/data',
];

function isInside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(`${parent}/`);
}

/** The list of shared host folders; with host limits (a change), each must exist as a folder. */
function validateSharedFolders(key: string, v: unknown, checkHost: boolean): string | null {
  if (!Array.isArray(v) || !v.every((f) => typeof f === 'string'))
    return `${key} must be a list of folder paths; got ${JSON.stringify(v)}`;
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
      let st: fs.Stats | null = null;
      try {
        st = fs.statSync(norm);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR')
          return `${key}: ${f} cannot be read on this host (${code ?? (e as Error).message})`;
      }
      if (!st) return `${key}: ${f} does not exist on this host`;
      if (!st.isDirectory())
        return `${key}: ${f} is not a folder (a file or device cannot be shared; share the folder it is in)`;
    }
  }
  return null;
}

/**
 * Checks one value. Without the host's share only the shape and fixed bounds are checked (reading
 * a file, admin locks); with it, the host's cores and memory bound the VM and shared folders must exist.
 */
export function validateValue(key: SettingKey, v: unknown, limits?: HostShare): string | null {
  switch (key) {
    case 'useContainerdSnapshotter':
      return typeof v === 'boolean' ? null : `${key} must be true or false; got ${JSON.stringify(v)}`;
    case 'dockerEngine':
      return validateDaemonJson(key, v);
    case 'vm.cpus':
      return wholeInRange(
        key,
        v,
        1,
        limits?.maxCpus ?? Number.MAX_SAFE_INTEGER,
        '',
        limits ? `this host has ${limits.maxCpus} CPU cores` : 'CPU cores',
      );
    case 'vm.memoryMiB':
      return wholeInRange(
        key,
        v,
        MIN_MEMORY_MIB,
        limits?.maxMemoryMiB ?? Number.MAX_SAFE_INTEGER,
        ' MiB',
        limits ? `this host has ${limits.maxMemoryMiB} MiB for the VM` : 'the VM needs at least 1 GiB',
      );
    case 'vm.diskGiB':
      return wholeInRange(key, v, MIN_DISK_GIB, MAX_DISK_GIB, ' GiB', 'the VM data disk size');
    case 'accelerator':
      return AcceleratorSettingSchema.safeParse(v).success
        ? null
        : `${key} must be one of ${AcceleratorSettingSchema.options.join(', ')}; got ${JSON.stringify(v)}`;
    case 'fileSharing':
      return validateSharedFolders(key, v, limits !== undefined);
    case 'features.lazyPulling':
    case 'features.wasm':
      return validateFeature(key, v);
  }
}
