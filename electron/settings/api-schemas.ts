// The settings API's answers, validated by the CLI and the dashboard on arrival.
import { z } from 'zod';
import { RestartKindSchema, SETTING_KEYS, SettingsSchema } from './schema.ts';

const SettingKeySchema = z.enum(SETTING_KEYS);

export const SettingsViewSchema = z.object({
  settings: SettingsSchema,
  locked: z.array(SettingKeySchema),
  notices: z.array(z.string()),
  applying: z.boolean(),
});

export const ProposalSchema = z.object({
  changes: z.array(z.object({ key: SettingKeySchema, from: z.unknown(), to: z.unknown(), restart: RestartKindSchema })),
  restart: RestartKindSchema,
  errors: z.array(z.object({ key: z.string(), message: z.string() })),
});

/** POST /v1/reset: the caller confirms, so a stray request cannot wipe the VM. */
export const ResetBodySchema = z.object({ factory: z.literal(true) }).strict();

/** Stream event names for settings progress and the final settings. */
export const SETTINGS_PROGRESS_EVENT = 'settings-progress';
export const SETTINGS_EVENT = 'settings';
