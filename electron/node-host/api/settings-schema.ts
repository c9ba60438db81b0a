// The one settings schema. The settings file, the control API and dashboard contract, the CLI's
// keys, the dashboard form and the restart reasons all derive from what is declared here: a new
// setting is one entry in SettingsSchema plus its row in SETTING_INFO (the compiler insists).
// Browser-safe: no node imports (the home directory default is passed in).
import { z } from 'zod';
import { DaemonJsonSchema } from './daemon-json.ts';

/** Bumped with every migration in electron/node-host/settings/migrations.ts. */
export const CURRENT_SCHEMA_VERSION = 4;

export const MIN_MEMORY_MIB = 1024;
export const MIN_DISK_GIB = 16;
export const MAX_DISK_GIB = 2048;
export const MAX_SHARED_FOLDERS = 16;

export const AcceleratorSettingSchema = z.enum(['auto', 'kvm', 'tcg']);
export const RestartKindSchema = z.enum(['none', 'engine', 'vm']);
export type RestartKind = z.infer<typeof RestartKindSchema>;

export const SettingsSchema = z
  .object({
    /** Docker Desktop's "Use containerd for pulling and storing images". */
    useContainerdSnapshotter: z.boolean(),
    /** The user's daemon.json keys (the store toggle's key and Berth's own keys excepted). */
    dockerEngine: DaemonJsonSchema,
    vm: z
      .object({
        cpus: z.number().int().min(1),
        memoryMiB: z.number().int().min(MIN_MEMORY_MIB),
        diskGiB: z.number().int().min(MIN_DISK_GIB).max(MAX_DISK_GIB),
      })
      .strict(),
    accelerator: AcceleratorSettingSchema,
    /** Host folders shared into the VM at the same path, so bind mounts of host paths work. */
    fileSharing: z.array(z.string()).max(MAX_SHARED_FOLDERS),
    /** What the containerd image store makes possible; each needs that store (features-rules.ts). */
    features: z
      .object({
        /** eStargz lazy pulling: the stargz snapshotter as containerd's proxy plugin, dockerd's storage-driver. */
        lazyPulling: z.boolean(),
        /** Wasm containers: a Wasm-capable runtime registered with dockerd. */
        wasm: z.boolean(),
      })
      .strict(),
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

/** The settings file as this version writes it. Reading is per key (electron/node-host/settings/settings-file.ts). */
export const SettingsFileSchema = SettingsSchema.extend({ schemaVersion: z.literal(CURRENT_SCHEMA_VERSION) }).strict();

/** Groups of settings: nested objects in the file and API, dotted keys everywhere else. */
type Group = 'vm' | 'features';
const GROUPS: readonly Group[] = ['vm', 'features'];

/** Every setting by its dotted name: what the CLI, locks, changes, errors and the form talk about. */
export type SettingKey = Exclude<keyof Settings, Group> | { [G in Group]: `${G}.${keyof Settings[G] & string}` }[Group];

const shape = SettingsSchema.shape as Record<string, z.ZodType>;
export const SETTING_KEYS: readonly SettingKey[] = Object.entries(shape).flatMap(([k, s]) =>
  (GROUPS as readonly string[]).includes(k) ? Object.keys((s as z.ZodObject).shape).map((sub) => `${k}.${sub}`) : [k],
) as SettingKey[];
export const SettingKeySchema = z.custom<SettingKey>((v) => typeof v === 'string' && isSettingKey(v));

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as readonly string[]).includes(key);
}

export function isGroup(key: string): boolean {
  return (GROUPS as readonly string[]).includes(key);
}

/** The zod schema of one key's value (shape only; host limits are checked where values change). */
export function keySchema(key: SettingKey): z.ZodType {
  const [head, sub] = key.split('.') as [string, string | undefined];
  return sub === undefined ? shape[head]! : ((shape[head] as z.ZodObject).shape[sub] as z.ZodType);
}

export type FormTab = 'general' | 'engine' | 'resources' | 'features';

export interface SettingInfo {
  /** What a change needs before it takes effect. */
  restart: RestartKind;
  /** Where the dashboard shows it. */
  tab: FormTab;
  label: string;
}

export const SETTING_INFO: Readonly<Record<SettingKey, SettingInfo>> = {
  // The store switch: dockerd restarts with the other snapshotter; the VM keeps running.
  useContainerdSnapshotter: {
    restart: 'engine',
    tab: 'general',
    label: 'Use containerd for pulling and storing images',
  },
  dockerEngine: { restart: 'engine', tab: 'engine', label: 'Docker Engine configuration (daemon.json)' },
  // QEMU takes these at launch; a grown disk is resized before the VM boots.
  'vm.cpus': { restart: 'vm', tab: 'resources', label: 'CPUs' },
  'vm.memoryMiB': { restart: 'vm', tab: 'resources', label: 'Memory' },
  'vm.diskGiB': { restart: 'vm', tab: 'resources', label: 'Disk size' },
  accelerator: { restart: 'vm', tab: 'resources', label: 'Virtualization' },
  // virtiofs devices and the guest's mounts are set up at boot.
  fileSharing: { restart: 'vm', tab: 'resources', label: 'Shared folders' },
  // containerd's proxy plugin and dockerd's storage-driver change: both restart, the VM keeps running.
  'features.lazyPulling': { restart: 'engine', tab: 'features', label: 'Lazy pulling (eStargz)' },
  'features.wasm': { restart: 'engine', tab: 'features', label: 'Wasm containers' },
};

/** Clean install and factory reset. The containerd store is the default since Docker Desktop 4.34. */
export function defaultSettingsFor(home: string): Settings {
  return {
    useContainerdSnapshotter: true,
    dockerEngine: {},
    vm: { cpus: 2, memoryMiB: 2048, diskGiB: 64 },
    accelerator: 'auto',
    fileSharing: [home],
    features: { lazyPulling: false, wasm: false },
  };
}

export function getKey(s: Settings, key: SettingKey): unknown {
  const [head, sub] = key.split('.') as [keyof Settings, string | undefined];
  return sub === undefined ? s[head] : (s[head] as Record<string, unknown>)[sub];
}

/** Returns a copy with one key replaced; the value must already be validated. */
export function withKey(s: Settings, key: SettingKey, value: unknown): Settings {
  const next = structuredClone(s) as unknown as Record<string, Record<string, unknown>>;
  const [head, sub] = key.split('.') as [string, string | undefined];
  if (sub === undefined) (next as Record<string, unknown>)[head] = structuredClone(value);
  else next[head]![sub] = structuredClone(value);
  return SettingsSchema.parse(next);
}

/** A partial, nested patch as the dashboard sends it: { vm: { cpus: 4 } }. The service validates values. */
export const SettingsPatchSchema = SettingsSchema.extend({
  vm: SettingsSchema.shape.vm.partial(),
  features: SettingsSchema.shape.features.partial(),
}).partial();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

/**
 * A patch as it crosses the contract: nested ({"vm": {"cpus": 4}}) or dotted ({"vm.cpus": 4}), only
 * the schema's keys (anything else is refused at the boundary). Values are checked by the settings
 * service, whose errors name the key and the host's limits ("vm.memoryMiB must be … to 8192 MiB").
 */
export const SettingsPatchInputSchema = z
  .object({
    ...Object.fromEntries(
      Object.entries(SettingsSchema.shape).map(([k, s]) => [
        k,
        (s instanceof z.ZodObject
          ? z.object(Object.fromEntries(Object.keys(s.shape).map((sub) => [sub, z.unknown().optional()]))).strict()
          : z.unknown()
        ).optional(),
      ]),
    ),
    ...Object.fromEntries(SETTING_KEYS.filter((k) => k.includes('.')).map((k) => [k, z.unknown().optional()])),
  })
  .strict()
  .meta({
    description:
      'Partial settings, nested {"vm":{"cpus":4}} or dotted {"vm.cpus":4}; each value is validated by the settings service',
  });

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
