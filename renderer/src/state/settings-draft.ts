// The settings being edited: what differs from the applied settings becomes the patch that
// Apply & Restart sends, and the button is enabled only when that patch is not empty.
import type { Settings, SettingsPatch } from '../../../electron/api/settings-types.ts';
import { checkDaemonJson } from '../../../electron/api/daemon-json.ts';

export interface Draft {
  useContainerdSnapshotter?: boolean;
  /** The Docker Engine tab's text, kept as typed (it may not parse yet). */
  daemonJsonText?: string;
  cpus?: number;
  memoryMiB?: number;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

export function daemonJsonText(s: Settings): string { return JSON.stringify(s.dockerEngine, null, 2); }

export interface DraftResult { patch: SettingsPatch; errors: string[]; changed: boolean; }

export function draftPatch(current: Settings, d: Draft): DraftResult {
  const patch: SettingsPatch = {};
  const errors: string[] = [];
  if (d.useContainerdSnapshotter !== undefined && d.useContainerdSnapshotter !== current.useContainerdSnapshotter) {
    patch.useContainerdSnapshotter = d.useContainerdSnapshotter;
  }
  if (d.daemonJsonText !== undefined) {
    const check = checkDaemonJson(d.daemonJsonText);
    if (!check.ok) errors.push(...check.errors);
    else if (!sameJson(check.value, current.dockerEngine)) patch.dockerEngine = check.value;
  }
  const vm: NonNullable<SettingsPatch['vm']> = {};
  if (d.cpus !== undefined && d.cpus !== current.vm.cpus) vm.cpus = d.cpus;
  if (d.memoryMiB !== undefined && d.memoryMiB !== current.vm.memoryMiB) vm.memoryMiB = d.memoryMiB;
  if (Object.keys(vm).length) patch.vm = vm;
  return { patch, errors, changed: Object.keys(patch).length > 0 };
}
