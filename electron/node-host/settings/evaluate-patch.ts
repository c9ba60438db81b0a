// What a settings patch would change, or why it cannot: each key against the administrator's locks,
// its own rules and the data disk's size, then the features against the store they need.
import { lockedMessage, overlay, type AdminPolicy } from './admin-policy.ts';
import { featureConflicts } from './features-rules.ts';
import type { HostShare } from './host-limits.ts';
import { flattenPatch, type SettingsPatch } from './patch.ts';
import { diffSettings, type SettingChange } from './restart.ts';
import { getKey, jsonEqual, withKey, type SettingKey, type Settings } from './schema.ts';
import { validateValue, type SettingError } from './validate.ts';
import { dataDiskGiB } from '../../../engine/host/vm-files.ts';

export interface PatchBase {
  /** The effective settings now (the administrator's locked values on top). */
  current: Settings;
  /** The user's own settings, which the patch changes. */
  user: Settings;
  policy: AdminPolicy;
  share: HostShare;
  /** The settings file has not said which store to use yet. */
  storeUndecided: boolean;
  dataDisk: string;
}

export interface Evaluation {
  changes: SettingChange[];
  errors: SettingError[];
  nextUser: Settings;
  /** The patch names the store while it is undecided: the user's decision. */
  decidesStore: boolean;
}

export function evaluatePatch(patch: SettingsPatch, b: PatchBase): Evaluation {
  const { values, errors } = flattenPatch(patch);
  const { current, policy } = b;
  let nextUser = b.user;
  for (const [key, value] of values) {
    // A value equal to the effective one is no change (front ends may send whole forms); the
    // store toggle sent while the store is undecided is the user's decision, so it is kept.
    if (jsonEqual(getKey(current, key), value) && !(key === 'useContainerdSnapshotter' && b.storeUndecided)) continue;
    const message = policy.locked.has(key)
      ? lockedMessage(key)
      : policy.error
        ? `${key} cannot be changed: the administrator's settings file ${policy.error}`
        : (validateValue(key, value, b.share) ?? diskRule(b.dataDisk, key, value));
    if (message) errors.push({ key, message });
    else nextUser = withKey(nextUser, key, value);
  }
  // Features need the containerd store: checked on the settings as they would be, whichever key changed.
  if (!errors.length) errors.push(...featureConflicts(overlay(nextUser, policy.locked)));
  const changes = diffSettings(current, overlay(nextUser, policy.locked));
  return {
    changes: errors.length ? [] : changes,
    errors,
    nextUser,
    decidesStore: b.storeUndecided && values.has('useContainerdSnapshotter') && !errors.length,
  };
}

/** The data disk only grows: shrinking a qcow2 under a filesystem would destroy data. */
function diskRule(dataDisk: string, key: SettingKey, value: unknown): string | null {
  if (key !== 'vm.diskGiB') return null;
  const size = dataDiskGiB(dataDisk);
  if (size !== null && typeof value === 'number' && value < size) {
    return `vm.diskGiB cannot be lower than the existing data disk's ${size} GiB: a disk is never shrunk (a factory reset starts a new one)`;
  }
  return null;
}
