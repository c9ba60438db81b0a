// The settings' shape, defaults and key list. Shape only: limits that depend on the host (cores,
// memory) are checked in validate.ts when a value changes, so a file copied from a bigger
// machine still loads.
import os from 'node:os';
import { z } from 'zod';

/** Bumped with every migration in migrations.ts. */
export const CURRENT_SCHEMA_VERSION = 3;

export const AcceleratorSettingSchema = z.enum(['auto', 'kvm', 'tcg']);
export const RestartKindSchema = z.enum(['none', 'engine', 'vm']);
export type RestartKind = z.infer<typeof RestartKindSchema>;

export const MIN_MEMORY_MIB = 1024;
export const MIN_DISK_GIB = 16;
export const MAX_DISK_GIB = 2048;

export const SettingsSchema = z.object({
  /** Docker Desktop's "Use containerd for pulling and storing images". */
  useContainerdSnapshotter: z.boolean(),
  /** The user's daemon.json keys (the store toggle's key excepted). */
  dockerEngine: z.record(z.string(), z.unknown()),
  vm: z.object({
    cpus: z.number().int().min(1),
    memoryMiB: z.number().int().min(MIN_MEMORY_MIB),
    diskGiB: z.number().int().min(MIN_DISK_GIB).max(MAX_DISK_GIB),
  }).strict(),
  accelerator: AcceleratorSettingSchema,
  /** Host folders shared into the VM at the same path, so bind mounts of host paths work. */
  fileSharing: z.array(z.string()),
}).strict();
export type Settings = z.infer<typeof SettingsSchema>;

export const SettingsFileSchema = SettingsSchema.extend({ schemaVersion: z.literal(CURRENT_SCHEMA_VERSION) }).strict();

/** Clean install and factory reset. The containerd store is the default since Docker Desktop 4.34. */
export function defaultSettings(): Settings {
  return {
    useContainerdSnapshotter: true,
    dockerEngine: {},
    vm: { cpus: 2, memoryMiB: 2048, diskGiB: 64 },
    accelerator: 'auto',
    fileSharing: [os.homedir()],
  };
}

/** Every setting by its dotted name: what the CLI, locks, changes and errors talk about. */
export const SETTING_KEYS = ['useContainerdSnapshotter', 'dockerEngine', 'vm.cpus', 'vm.memoryMiB', 'vm.diskGiB', 'accelerator', 'fileSharing'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as readonly string[]).includes(key);
}

export function getKey(s: Settings, key: SettingKey): unknown {
  switch (key) {
    case 'vm.cpus': return s.vm.cpus;
    case 'vm.memoryMiB': return s.vm.memoryMiB;
    case 'vm.diskGiB': return s.vm.diskGiB;
    default: return s[key];
  }
}

/** Returns a copy with one key replaced; the value must already be validated. */
export function withKey(s: Settings, key: SettingKey, value: unknown): Settings {
  const next = structuredClone(s);
  const parts = key.split('.');
  let target: Record<string, unknown> = next as unknown as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) target = target[p] as Record<string, unknown>;
  target[parts[parts.length - 1]!] = structuredClone(value);
  return SettingsSchema.parse(next);
}

/** Deep equality for JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const rb = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k) => k in rb && jsonEqual((a as Record<string, unknown>)[k], rb[k]));
}
