// How the dashboard edits each setting. Keyed by every setting, so a new key in the schema does
// not compile until the form knows how to show it; the tab comes from the schema's SETTING_INFO.
import {
  AcceleratorSettingSchema,
  MIN_MEMORY_MIB,
  SETTING_INFO,
  SETTING_KEYS,
  type FormTab,
  type SettingKey,
} from '../../../electron/node-host/api/settings-schema.ts';
import type { SettingsLimits } from '../../../electron/node-host/api/settings-types.ts';

export type Control =
  | { kind: 'checkbox' }
  | { kind: 'daemon-json' }
  | {
      kind: 'range' | 'number';
      min: (l: SettingsLimits) => number;
      max: (l: SettingsLimits) => number;
      step: number;
      unit: string;
    }
  | { kind: 'select'; options: readonly string[] }
  | { kind: 'folders' };

export const FORM_CONTROLS: Readonly<Record<SettingKey, Control>> = {
  useContainerdSnapshotter: { kind: 'checkbox' },
  dockerEngine: { kind: 'daemon-json' },
  'vm.cpus': { kind: 'range', min: () => 1, max: (l) => l.maxCpus, step: 1, unit: '' },
  'vm.memoryMiB': { kind: 'range', min: () => MIN_MEMORY_MIB, max: (l) => l.maxMemoryMiB, step: 256, unit: 'MiB' },
  'vm.diskGiB': { kind: 'number', min: (l) => l.minDiskGiB, max: (l) => l.maxDiskGiB, step: 1, unit: 'GiB' },
  accelerator: { kind: 'select', options: AcceleratorSettingSchema.options },
  fileSharing: { kind: 'folders' },
  'features.lazyPulling': { kind: 'checkbox' },
  'features.wasm': { kind: 'checkbox' },
};

export function keysOnTab(tab: FormTab): SettingKey[] {
  return SETTING_KEYS.filter((k) => SETTING_INFO[k].tab === tab);
}

/** The shared-folders text box: one absolute path per line. */
export function foldersFromText(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
