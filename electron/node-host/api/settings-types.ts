// The settings API's shapes (the contract every front end speaks), all derived from the one
// schema in settings-schema.ts. Browser-safe.
import { z } from 'zod';
import { RestartKindSchema, SettingKeySchema, SettingsSchema, type RestartKind } from './settings-schema.ts';

export {
  RestartKindSchema,
  SettingsPatchSchema,
  SettingsSchema,
  type RestartKind,
  type Settings,
  type SettingsPatch,
} from './settings-schema.ts';

/** What the VM may use on this host: the form's bounds and the service's checks (electron/node-host/settings/host-limits.ts). */
export const SettingsLimitsSchema = z.object({
  maxCpus: z.number().int(),
  maxMemoryMiB: z.number().int(),
  /** The existing data disk's size: a disk only grows. */
  minDiskGiB: z.number().int(),
  maxDiskGiB: z.number().int(),
});
export type SettingsLimits = z.infer<typeof SettingsLimitsSchema>;

export const SettingsViewSchema = z.object({
  settings: SettingsSchema,
  /** Keys the administrator locked: shown, not editable. */
  locked: z.array(SettingKeySchema),
  notices: z.array(z.string()),
  applying: z.boolean(),
});
export type SettingsView = z.infer<typeof SettingsViewSchema>;

export const SettingsStateSchema = SettingsViewSchema.extend({ limits: SettingsLimitsSchema });
export type SettingsState = z.infer<typeof SettingsStateSchema>;

/** What applying a patch would change and restart, before the user confirms. */
export const ProposalSchema = z.object({
  changes: z.array(z.object({ key: SettingKeySchema, from: z.unknown(), to: z.unknown(), restart: RestartKindSchema })),
  /** The strongest restart among the changes. */
  restart: RestartKindSchema,
  /** Keyed by what the caller sent, which may not be a setting at all. */
  errors: z.array(z.object({ key: z.string(), message: z.string() })),
});
export type Proposal = z.infer<typeof ProposalSchema>;

export const SettingsProgressSchema = z.object({ message: z.string() });
export type SettingsProgress = z.infer<typeof SettingsProgressSchema>;

/** settings.reset: the caller confirms, so a stray call cannot wipe the VM. */
export const ResetBodySchema = z.object({ factory: z.literal(true) }).strict();

/** The sentence next to Apply & Restart: what will restart. */
export function restartSentence(kind: RestartKind): string {
  switch (kind) {
    case 'engine':
      return 'Applying restarts the Docker Engine: running containers stop and the images list reloads.';
    case 'vm':
      return 'Applying restarts the Berth VM and the Docker Engine: running containers stop.';
    default:
      return 'Applying needs no restart.';
  }
}
