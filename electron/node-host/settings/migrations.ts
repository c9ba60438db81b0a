// Numbered settings-file migrations, N -> N+1. Each takes the raw JSON of version N and returns
// version N+1; they run in order up to CURRENT_SCHEMA_VERSION. Never edit a released migration:
// add the next one and bump CURRENT_SCHEMA_VERSION.
import os from 'node:os';
import { SNAPSHOTTER_FEATURE } from '../api/daemon-json.ts';
import { CURRENT_SCHEMA_VERSION } from '../api/settings-schema.ts';

export type RawSettings = Record<string, unknown>;
export type Migration = (raw: RawSettings) => RawSettings;

/**
 * 1 -> 2: version 1 had no store toggle; a user could put `features.containerd-snapshotter` into
 * their daemon.json keys. That flag becomes the toggle and leaves dockerEngine, where version 2
 * rejects it. Without the flag the file cannot say which store the engine used (version-1 files
 * and hand-written partial ones look the same), so the toggle stays absent and the reader leaves
 * the choice to the data disk (store-decision.ts) instead of guessing here.
 */
export function v1ToV2(raw: RawSettings): RawSettings {
  const out: RawSettings = { ...raw, schemaVersion: 2 };
  const engine = raw.dockerEngine;
  let fromFlag: boolean | undefined;
  if (typeof engine === 'object' && engine !== null && !Array.isArray(engine)) {
    const features = (engine as RawSettings).features;
    if (
      typeof features === 'object' &&
      features !== null &&
      !Array.isArray(features) &&
      SNAPSHOTTER_FEATURE in features
    ) {
      const flag = (features as RawSettings)[SNAPSHOTTER_FEATURE];
      if (typeof flag === 'boolean') fromFlag = flag;
      const { [SNAPSHOTTER_FEATURE]: _moved, ...restFeatures } = features as RawSettings;
      const { features: _f, ...restEngine } = engine as RawSettings;
      out.dockerEngine = Object.keys(restFeatures).length ? { ...restEngine, features: restFeatures } : restEngine;
    }
  }
  if (typeof raw.useContainerdSnapshotter !== 'boolean' && fromFlag !== undefined)
    out.useContainerdSnapshotter = fromFlag;
  return out;
}

/**
 * 2 -> 3: file sharing arrives. Version 2 shared nothing; the new default shares the user's home
 * directory, as Docker Desktop does, so an upgrade gets it too. A list already present is kept.
 */
export function v2ToV3(raw: RawSettings, home = os.homedir()): RawSettings {
  return { ...raw, schemaVersion: 3, fileSharing: Array.isArray(raw.fileSharing) ? raw.fileSharing : [home] };
}

/**
 * 3 -> 4: the containerd store's features arrive (lazy pulling, Wasm), both off: an upgrade turns
 * nothing on. Values already there (a file written while they were being built) are kept.
 */
export function v3ToV4(raw: RawSettings): RawSettings {
  const had =
    typeof raw.features === 'object' && raw.features !== null && !Array.isArray(raw.features)
      ? (raw.features as RawSettings)
      : {};
  return { ...raw, schemaVersion: 4, features: { lazyPulling: false, wasm: false, ...had } };
}

/** Keyed by the version they migrate from. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = { 1: v1ToV2, 2: (raw) => v2ToV3(raw), 3: v3ToV4 };

export class MigrationError extends Error {}

/** A file without schemaVersion predates versioning: it is version 1. */
export function fileVersion(raw: RawSettings): number {
  const v = raw.schemaVersion ?? 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new MigrationError(`schemaVersion ${JSON.stringify(v)} is not a version number`);
  return v;
}

export function migrate(
  raw: RawSettings,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
  target = CURRENT_SCHEMA_VERSION,
): { value: RawSettings; from: number } {
  const from = fileVersion(raw);
  if (from > target)
    throw new MigrationError(
      `it was written by a newer Berth (settings version ${from}; this one knows up to ${target})`,
    );
  let value = raw;
  for (let v = from; v < target; v++) {
    const step = migrations[v];
    if (!step) throw new MigrationError(`no migration from settings version ${v}`);
    value = step(value);
    if (value.schemaVersion !== v + 1)
      throw new MigrationError(`the migration from version ${v} did not produce version ${v + 1}`);
  }
  return { value, from };
}
