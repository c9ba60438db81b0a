// The settings schema for the node side: the one browser-safe schema (electron/node-host/api/settings-schema.ts)
// plus the defaults that need the host (the user's home directory is shared by default).
import os from 'node:os';
import { defaultSettingsFor, type Settings } from '../api/settings-schema.ts';

export * from '../api/settings-schema.ts';

/** Clean install and factory reset: the containerd store, the home directory shared. */
export function defaultSettings(): Settings {
  return defaultSettingsFor(os.homedir());
}
