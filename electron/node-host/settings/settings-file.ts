// The settings file on disk. Reading is per key: older versions and hand edits write partial
// files, and that is normal input. A missing key takes its default, an invalid value takes its
// key's default (the file as it was is kept aside), unknown keys stay in the file. Only a file
// that is not JSON or not an object is corrupt. Reading never decides the image store: when the
// file cannot say, `storeUnknown` says why and the data disk decides (store-decision.ts).
import fs from 'node:fs';
import path from 'node:path';
import { migrate, type RawSettings } from './migrations.ts';
import { CURRENT_SCHEMA_VERSION, SETTING_KEYS, defaultSettings, isGroup, withKey, type Settings } from './schema.ts';
import { validateValue } from './validate.ts';

export type LoadSource = 'clean-install' | 'file' | 'migrated' | 'newer' | 'recovered';

export interface RejectedValue {
  key: string;
  value: unknown;
  message: string;
}

export interface LoadResult {
  settings: Settings;
  source: LoadSource;
  /** Why the file cannot say which image store; then settings.useContainerdSnapshotter is only the default. */
  storeUnknown: string | null;
  /** The file's version before migration ('migrated'), or a newer file's own ('newer'). */
  migratedFrom?: number;
  /** Values that could not be used; each key took its default. */
  rejected: RejectedValue[];
  /** Keys this version does not know, as nested raw JSON: written back as they were. */
  unknown: RawSettings;
  /** Why the whole file could not be used ('recovered'). */
  problem?: string;
  /** Other things worth telling (an empty file, an odd schemaVersion). */
  remarks: string[];
  /** Where a corrupt file was moved ('recovered'), or a copy of a file with rejected values was kept. */
  movedTo?: string;
  keptIn?: string;
}

export function backupPath(file: string): string {
  return `${file}.bak`;
}

function asideName(file: string, kind: 'corrupt' | 'rejected', now: Date): string {
  return `${file}.${kind}-${now.toISOString().replace(/[:.]/g, '-')}`;
}

const isObject = (v: unknown): v is RawSettings => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads without writing anything (`berth settings get` with no host running uses this too). */
export function readSettingsFile(file: string, defaults: () => Settings = defaultSettings): LoadResult {
  const base = { settings: defaults(), rejected: [], unknown: {}, remarks: [] };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ...base, source: 'clean-install', storeUnknown: null };
    return corrupt(base, `it could not be read (${(e as Error).message})`);
  }
  // Editors on Windows save UTF-8 with a byte-order mark; JSON.parse refuses it.
  text = text.replace(/^\uFEFF/, '');
  const remarks: string[] = [];
  if (!text.trim()) {
    remarks.push('The settings file was empty: every setting takes its default.');
    text = '{}';
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return corrupt(base, `it is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) return corrupt(base, 'it is not a JSON object');

  const declared = raw.schemaVersion ?? 1;
  let version = 1;
  if (typeof declared === 'number' && Number.isInteger(declared) && declared >= 1) version = declared;
  else
    remarks.push(
      `The settings file's schemaVersion ${JSON.stringify(declared)} is not a version number: it was read as version 1.`,
    );
  const newer = version > CURRENT_SCHEMA_VERSION;
  // A newer file is read as it is: its migrations are not ours to undo.
  const current = newer ? raw : migrate({ ...raw, schemaVersion: version }).value;
  if (newer)
    remarks.push(
      `The settings file was written by a newer Berth (settings version ${version}; this one knows up to ${CURRENT_SCHEMA_VERSION}): the settings this version knows are used, the others are kept in the file.`,
    );

  let settings = defaults();
  const rejected: RejectedValue[] = [];
  let storeUnknown: string | null = null;
  for (const key of SETTING_KEYS) {
    const [head, sub] = key.split('.') as [string, string | undefined];
    const holder = sub === undefined ? current : current[head];
    if (sub !== undefined && holder !== undefined && !isObject(holder)) {
      if (!rejected.some((r) => r.key === head))
        rejected.push({
          key: head,
          value: holder,
          message: `${head} must be a JSON object; got ${JSON.stringify(holder)}`,
        });
      continue;
    }
    const field = sub ?? head;
    if (!isObject(holder) || !(field in holder)) {
      if (key === 'useContainerdSnapshotter') storeUnknown = 'the settings file does not say which image store to use';
      continue;
    }
    const value = holder[field];
    const problem = validateValue(key, value);
    if (problem) {
      rejected.push({ key, value, message: problem });
      if (key === 'useContainerdSnapshotter')
        storeUnknown = `the settings file's useContainerdSnapshotter (${JSON.stringify(value)}) is not true or false`;
      continue;
    }
    settings = withKey(settings, key, value);
  }
  const source: LoadSource = newer ? 'newer' : version < CURRENT_SCHEMA_VERSION ? 'migrated' : 'file';
  return {
    settings,
    source,
    storeUnknown,
    rejected,
    unknown: unknownKeys(current),
    remarks,
    ...(source === 'file' ? {} : { migratedFrom: version }),
  };
}

function corrupt(base: Omit<LoadResult, 'source' | 'storeUnknown'>, problem: string): LoadResult {
  return { ...base, source: 'recovered', problem, storeUnknown: 'the settings file could not be used' };
}

/** What the file holds besides settings this version knows (schemaVersion aside). */
function unknownKeys(raw: RawSettings): RawSettings {
  const out: RawSettings = {};
  const known = new Set(SETTING_KEYS.map((k) => k.split('.')[0]!));
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'schemaVersion') continue;
    if (!known.has(k)) out[k] = v;
    else if (isGroup(k) && isObject(v)) {
      const extra = Object.fromEntries(
        Object.entries(v).filter(([sub]) => !SETTING_KEYS.includes(`${k}.${sub}` as never)),
      );
      if (Object.keys(extra).length) out[k] = extra;
    }
  }
  return out;
}

/** Names of the unknown keys, dotted, for a notice. */
export function unknownKeyNames(unknown: RawSettings): string[] {
  return Object.entries(unknown)
    .flatMap(([k, v]) => (isGroup(k) && isObject(v) ? Object.keys(v).map((s) => `${k}.${s}`) : [k]))
    .sort();
}

/**
 * Reads and keeps what cannot be used: a corrupt file is moved aside, a file with rejected
 * values is copied aside before anything rewrites it. Never writes the settings themselves.
 */
export function loadSettings(file: string, defaults: () => Settings = defaultSettings, now = new Date()): LoadResult {
  const r = readSettingsFile(file, defaults);
  try {
    if (r.source === 'recovered') {
      const aside = asideName(file, 'corrupt', now);
      fs.renameSync(file, aside);
      return { ...r, movedTo: aside };
    }
    if (r.rejected.length) {
      const aside = asideName(file, 'rejected', now);
      fs.copyFileSync(file, aside);
      return { ...r, keptIn: aside };
    }
  } catch (e) {
    return {
      ...r,
      problem: `${r.problem ?? 'a value could not be used'}; keeping the file aside failed (${(e as Error).message})`,
    };
  }
  return r;
}

/** Temp file + fsync + rename: a crash leaves the old file or the new one, never a torn one. */
function writeAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export interface SaveOptions {
  /** Keys this version does not know, written back as they were. */
  unknown?: RawSettings;
  /** Leave useContainerdSnapshotter out: the store is not decided yet. */
  omitStore?: boolean;
  /** A newer file keeps its own version number. */
  schemaVersion?: number;
}

/**
 * Copies the current file to settings.json.bak, then replaces it. The file itself is never
 * missing in between: a missing file would read as a clean install.
 */
export function saveSettings(file: string, settings: Settings, opts: SaveOptions = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const unknown = opts.unknown ?? {};
  const body: RawSettings = {
    schemaVersion: Math.max(opts.schemaVersion ?? 0, CURRENT_SCHEMA_VERSION),
    ...unknown,
    ...settings,
  };
  for (const [k, v] of Object.entries(unknown))
    if (isGroup(k) && isObject(v)) body[k] = { ...v, ...((settings as unknown as RawSettings)[k] as RawSettings) };
  if (opts.omitStore) delete body.useContainerdSnapshotter;
  let previous: Buffer | null = null;
  try {
    previous = fs.readFileSync(file);
  } catch {
    /* first save */
  }
  if (previous) writeAtomic(backupPath(file), previous);
  writeAtomic(file, JSON.stringify(body, null, 2) + '\n');
}
