// What a settings change needs before it takes effect: nothing, a dockerd restart, or a VM restart.
import {
  SETTING_INFO,
  SETTING_KEYS,
  getKey,
  jsonEqual,
  type RestartKind,
  type SettingKey,
  type Settings,
} from '../api/settings-schema.ts';

export const RESTART_BY_KEY: Readonly<Record<SettingKey, RestartKind>> = Object.fromEntries(
  SETTING_KEYS.map((k) => [k, SETTING_INFO[k].restart]),
) as Record<SettingKey, RestartKind>;

const STRENGTH: Record<RestartKind, number> = { none: 0, engine: 1, vm: 2 };

export function strongest(kinds: Iterable<RestartKind>): RestartKind {
  let best: RestartKind = 'none';
  for (const k of kinds) if (STRENGTH[k] > STRENGTH[best]) best = k;
  return best;
}

export interface SettingChange {
  key: SettingKey;
  from: unknown;
  to: unknown;
  restart: RestartKind;
}

export function diffSettings(current: Settings, proposed: Settings): SettingChange[] {
  return SETTING_KEYS.filter((key) => !jsonEqual(getKey(current, key), getKey(proposed, key))).map((key) => ({
    key,
    from: getKey(current, key),
    to: getKey(proposed, key),
    restart: RESTART_BY_KEY[key],
  }));
}
