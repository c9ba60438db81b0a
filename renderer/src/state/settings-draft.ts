// The settings being edited, keyed by setting: what differs from the applied settings becomes
// the patch that Apply & Restart sends, and the button is enabled only when that patch is not empty.
import {
  SETTING_KEYS,
  getKey,
  jsonEqual,
  type SettingKey,
  type Settings,
  type SettingsPatch,
} from '../../../electron/node-host/api/settings-schema.ts';
import { checkDaemonJson } from '../../../electron/node-host/api/daemon-json.ts';

/** One edited value per setting; the Docker Engine tab keeps its text as typed (it may not parse yet). */
export type Draft = { [K in SettingKey]?: unknown } & { daemonJsonText?: string };

export function daemonJsonText(s: Settings): string {
  return JSON.stringify(s.dockerEngine, null, 2);
}

export interface DraftResult {
  patch: SettingsPatch;
  errors: string[];
  changed: boolean;
}

/** The value the form shows for a key: the draft's, else the applied one. */
export function shown(current: Settings, d: Draft, key: SettingKey): unknown {
  return d[key] !== undefined ? d[key] : getKey(current, key);
}

export function draftPatch(current: Settings, d: Draft): DraftResult {
  const patch: Record<string, unknown> = {};
  const errors: string[] = [];
  const edits: Draft = { ...d };
  if (d.daemonJsonText !== undefined) {
    const check = checkDaemonJson(d.daemonJsonText);
    if (!check.ok) errors.push(...check.errors);
    else edits.dockerEngine = check.value;
  }
  for (const key of SETTING_KEYS) {
    const v = edits[key];
    if (v === undefined || jsonEqual(v, getKey(current, key))) continue;
    const [head, sub] = key.split('.') as [string, string | undefined];
    if (sub === undefined) patch[head] = v;
    else patch[head] = { ...(patch[head] as Record<string, unknown> | undefined), [sub]: v };
  }
  return { patch: patch as SettingsPatch, errors, changed: Object.keys(patch).length > 0 };
}
