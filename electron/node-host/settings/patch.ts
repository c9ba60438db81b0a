// Patches: partial settings sent by the CLI, the dashboard and the admin file, either nested
// ({"vm": {"cpus": 4}}) or dotted ({"vm.cpus": 4}). Flattened to setting keys before anything
// else looks at them, so every error names a key the user can type.
import { z } from 'zod';
import { SETTING_KEYS, isGroup, isSettingKey, type SettingKey } from '../api/settings-schema.ts';
import type { SettingError } from './validate.ts';

export const SettingsPatchSchema = z.record(z.string(), z.unknown());
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export function flattenPatch(patch: SettingsPatch): { values: Map<SettingKey, unknown>; errors: SettingError[] } {
  const values = new Map<SettingKey, unknown>();
  const errors: SettingError[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (isSettingKey(key)) values.set(key, v);
      else if (isGroup(key) && typeof v === 'object' && v !== null && !Array.isArray(v))
        walk(v as Record<string, unknown>, key);
      else errors.push({ key, message: `${key} is not a setting (known: ${SETTING_KEYS.join(', ')})` });
    }
  };
  walk(patch, '');
  return { values, errors };
}

export class CliSettingsError extends Error {}

/**
 * `key=value` arguments to a patch. A value is JSON when it parses as JSON (true, 4,
 * {"debug":true}), otherwise the plain string (tcg). Keys are dotted: vm.cpus=4.
 */
export function settingsFromCli(args: string[]): SettingsPatch {
  const patch: SettingsPatch = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new CliSettingsError(`'${arg}' is not key=value (for example vm.cpus=4)`);
    const key = arg.slice(0, eq).trim();
    const text = arg.slice(eq + 1);
    if (key.startsWith('dockerEngine.')) {
      throw new CliSettingsError(
        `${key}: set dockerEngine as one JSON object, for example dockerEngine='{"debug":true}'`,
      );
    }
    if (!isSettingKey(key)) throw new CliSettingsError(`${key} is not a setting (known: ${SETTING_KEYS.join(', ')})`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    const parts = key.split('.');
    let target = patch;
    for (const p of parts.slice(0, -1)) {
      const next = target[p];
      target = (typeof next === 'object' && next !== null ? next : (target[p] = {})) as SettingsPatch;
    }
    target[parts[parts.length - 1]!] = value;
  }
  return patch;
}
