// The settings file on disk: read with migration, written atomically with the previous version
// kept as a backup. A file that cannot be used is moved aside, never overwritten or dropped.
import fs from 'node:fs';
import path from 'node:path';
import { migrate, type RawSettings } from './migrations.ts';
import { CURRENT_SCHEMA_VERSION, SettingsFileSchema, defaultSettings, type Settings } from './schema.ts';

export type LoadSource = 'clean-install' | 'file' | 'migrated' | 'recovered';

export interface LoadResult {
  settings: Settings;
  source: LoadSource;
  /** The file's version before migration ('migrated'). */
  migratedFrom?: number;
  /** Where an unusable file was moved ('recovered'). */
  movedTo?: string;
  /** Why the file could not be used ('recovered'). */
  problem?: string;
}

export function backupPath(file: string): string { return `${file}.bak`; }

function asideName(file: string, now: Date): string {
  return `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * No file: a clean install, on defaults. An older file: migrated. A file that is unreadable,
 * not JSON, or not valid settings: moved aside and replaced by defaults, with the reason.
 */
export function loadSettings(file: string, defaults: () => Settings = defaultSettings, now = new Date()): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { settings: defaults(), source: 'clean-install' };
    return recover(file, `it could not be read (${(e as Error).message})`, defaults, now);
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { return recover(file, `it is not valid JSON (${(e as Error).message})`, defaults, now); }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return recover(file, 'it is not a JSON object', defaults, now);
  let migrated: { value: RawSettings; from: number };
  try { migrated = migrate(raw as RawSettings); } catch (e) { return recover(file, (e as Error).message, defaults, now); }
  const parsed = SettingsFileSchema.safeParse(migrated.value);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    return recover(file, `it does not hold valid settings (${why})`, defaults, now);
  }
  const { schemaVersion: _v, ...settings } = parsed.data;
  if (migrated.from < CURRENT_SCHEMA_VERSION) return { settings, source: 'migrated', migratedFrom: migrated.from };
  return { settings, source: 'file' };
}

function recover(file: string, problem: string, defaults: () => Settings, now: Date): LoadResult {
  const aside = asideName(file, now);
  try {
    fs.renameSync(file, aside);
    return { settings: defaults(), source: 'recovered', movedTo: aside, problem };
  } catch (e) {
    return { settings: defaults(), source: 'recovered', problem: `${problem}; moving it aside failed too (${(e as Error).message})` };
  }
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

/**
 * Copies the current file to settings.json.bak, then replaces it. The file itself is never
 * missing in between: a missing file would read as a clean install and flip the store default.
 */
export function saveSettings(file: string, settings: Settings): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const body = JSON.stringify({ schemaVersion: CURRENT_SCHEMA_VERSION, ...settings }, null, 2) + '\n';
  let previous: Buffer | null = null;
  try { previous = fs.readFileSync(file); } catch { /* first save */ }
  if (previous) writeAtomic(backupPath(file), previous);
  writeAtomic(file, body);
}
