// The administrator's settings: a system-wide file (like Rancher Desktop's deployment profiles
// and Docker Desktop's admin-settings.json) that locks keys and may set install defaults:
//   {"locked": {"useContainerdSnapshotter": false}, "defaults": {"vm": {"cpus": 4}}}
// Only an administrator can write its location, so a user cannot unlock a key.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { flattenPatch } from './patch.ts';
import { validateValue } from './validate.ts';
import { withKey, type SettingKey, type Settings } from './schema.ts';

/**
 * BERTH_ADMIN_SETTINGS overrides (tests, managed installs). Defaults:
 *   Linux   /etc/berth/admin-settings.json
 *   macOS   /Library/Application Support/Berth/admin-settings.json
 *   Windows %ProgramData%\Berth\admin-settings.json
 */
export function adminSettingsPath(platform: NodeJS.Platform = process.platform, env = process.env): string {
  if (env.BERTH_ADMIN_SETTINGS) return path.resolve(env.BERTH_ADMIN_SETTINGS);
  switch (platform) {
    case 'darwin':
      return '/Library/Application Support/Berth/admin-settings.json';
    case 'win32':
      return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Berth', 'admin-settings.json');
    default:
      return '/etc/berth/admin-settings.json';
  }
}

const AdminFileSchema = z
  .object({
    locked: z.record(z.string(), z.unknown()).optional(),
    defaults: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export interface AdminPolicy {
  file: string;
  locked: Map<SettingKey, unknown>;
  defaults: Map<SettingKey, unknown>;
  /**
   * Set when the file exists but cannot be used. Then every change is refused: an unreadable
   * policy must not quietly unlock what the administrator locked.
   */
  error?: string;
}

export function loadAdminPolicy(file: string): AdminPolicy {
  const policy: AdminPolicy = { file, locked: new Map(), defaults: new Map() };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return policy;
    return { ...policy, error: `cannot be read (${(e as Error).message})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ...policy, error: `is not valid JSON (${(e as Error).message})` };
  }
  const parsed = AdminFileSchema.safeParse(json);
  if (!parsed.success)
    return {
      ...policy,
      error: `must look like {"locked": {...}, "defaults": {...}} (${parsed.error.issues[0]?.message})`,
    };
  for (const part of ['locked', 'defaults'] as const) {
    const { values, errors } = flattenPatch(parsed.data[part] ?? {});
    const bad = errors[0]?.message ?? [...values].map(([k, v]) => validateValue(k, v)).find((m) => m !== null);
    if (bad) return { ...policy, error: `has an invalid "${part}" entry: ${bad}` };
    policy[part] = values;
  }
  return policy;
}

/** Admin values over the given settings: defaults (for a new install) or locks (always). */
export function overlay(settings: Settings, values: Map<SettingKey, unknown>): Settings {
  let s = settings;
  for (const [k, v] of values) s = withKey(s, k, v);
  return s;
}

export function lockedMessage(key: string): string {
  return `${key} is locked by the administrator`;
}
