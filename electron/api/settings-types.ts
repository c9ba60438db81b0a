// Settings as the dashboard edits them: the settings service's shapes (electron/settings/),
// restated here so the browser bundle depends on the contract only. Browser-safe.
import { z } from 'zod';
import { DaemonJsonSchema } from './daemon-json.ts';

export const RestartKindSchema = z.enum(['none', 'engine', 'vm']);
export type RestartKind = z.infer<typeof RestartKindSchema>;

export const SettingsSchema = z.object({
  /** Docker Desktop's "Use containerd for pulling and storing images". */
  useContainerdSnapshotter: z.boolean(),
  /** The user's daemon.json keys (features.containerd-snapshotter excepted: the checkbox owns it). */
  dockerEngine: DaemonJsonSchema,
  vm: z.object({ cpus: z.number().int().min(1), memoryMiB: z.number().int().min(512), diskGiB: z.number().int() }),
  accelerator: z.enum(['auto', 'kvm', 'tcg']),
});
export type Settings = z.infer<typeof SettingsSchema>;

/** A partial, nested patch: { vm: { cpus: 4 } }. The service checks values against host limits. */
export const SettingsPatchSchema = z.object({
  useContainerdSnapshotter: z.boolean(),
  dockerEngine: DaemonJsonSchema,
  vm: z.object({ cpus: z.number().int(), memoryMiB: z.number().int(), diskGiB: z.number().int() }).partial().strict(),
  accelerator: z.enum(['auto', 'kvm', 'tcg']),
}).partial();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const SettingsLimitsSchema = z.object({ maxCpus: z.number().int(), maxMemoryMiB: z.number().int() });
export type SettingsLimits = z.infer<typeof SettingsLimitsSchema>;

export const SettingsViewSchema = z.object({
  settings: SettingsSchema,
  /** Keys the administrator locked: shown, not editable. */
  locked: z.array(z.string()),
  notices: z.array(z.string()),
  applying: z.boolean(),
});
export type SettingsView = z.infer<typeof SettingsViewSchema>;

export const SettingsStateSchema = SettingsViewSchema.extend({ limits: SettingsLimitsSchema });
export type SettingsState = z.infer<typeof SettingsStateSchema>;

/** What applying a patch would change and restart, before the user confirms. */
export const ProposalSchema = z.object({
  changes: z.array(z.object({ key: z.string(), from: z.unknown(), to: z.unknown(), restart: RestartKindSchema })),
  /** The strongest restart among the changes. */
  restart: RestartKindSchema,
  errors: z.array(z.object({ key: z.string(), message: z.string() })),
});
export type Proposal = z.infer<typeof ProposalSchema>;

export const SettingsProgressSchema = z.object({ message: z.string() });
export type SettingsProgress = z.infer<typeof SettingsProgressSchema>;

/** The sentence next to Apply & Restart: what will restart. */
export function restartSentence(kind: RestartKind): string {
  switch (kind) {
    case 'engine': return 'Applying restarts the Docker Engine: running containers stop and the images list reloads.';
    case 'vm': return 'Applying restarts the Berth VM and the Docker Engine: running containers stop.';
    default: return 'Applying needs no restart.';
  }
}
