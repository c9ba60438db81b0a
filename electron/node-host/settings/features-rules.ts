// The Features section's rules: a feature that is on needs the containerd image store, and a
// feature this build cannot run cannot be turned on. The words live in api/features.ts.
import { CLASSIC_STORE_REASON, FEATURE_NAMES, UNAVAILABLE, type FeatureKey } from '../api/features.ts';
import type { Settings } from '../api/settings-schema.ts';
import type { SettingError } from './validate.ts';

export function validateFeature(key: FeatureKey, v: unknown): string | null {
  if (typeof v !== 'boolean') return `${key} must be true or false; got ${JSON.stringify(v)}`;
  const unavailable = UNAVAILABLE[key];
  return v && unavailable ? `${key} cannot be turned on: ${unavailable}` : null;
}

/** Features that are on while the classic store is chosen: one error each, naming the fix. */
export function featureConflicts(s: Settings): SettingError[] {
  if (s.useContainerdSnapshotter) return [];
  return FEATURE_NAMES.filter((f) => s.features[f]).map((f) => {
    const key: FeatureKey = `features.${f}`;
    return {
      key,
      message: `${key} needs the containerd image store (useContainerdSnapshotter=true): ${CLASSIC_STORE_REASON[key]}. Turn ${key} off before switching to the classic store.`,
    };
  });
}
