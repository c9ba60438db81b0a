// What loading the settings file tells the user: a file that could not be used, values that took
// their defaults, remarks of the migration, and keys this version does not know.
import { getKey, isSettingKey, type Settings } from './schema.ts';
import { unknownKeyNames, type LoadResult } from './settings-file.ts';

/** `defaults`: the settings a rejected value falls back to (the administrator's defaults included). */
export function loadNotices(r: LoadResult, defaults: () => Settings): string[] {
  const out: string[] = [];
  if (r.source === 'recovered') {
    out.push(
      `The settings file could not be used: ${r.problem}. ${r.movedTo ? `It was moved to ${r.movedTo}; ` : ''}Berth started on default settings.`,
    );
  } else if (r.problem) out.push(`The settings file: ${r.problem}.`);
  const raw = defaults() as unknown as Record<string, unknown>;
  for (const bad of r.rejected) {
    const fallback = isSettingKey(bad.key) ? getKey(defaults(), bad.key) : raw[bad.key];
    out.push(
      `${bad.message}: ${bad.key} takes its default ${JSON.stringify(fallback)}${r.keptIn ? `; the file as it was is kept in ${r.keptIn}` : ''}.`,
    );
  }
  out.push(...r.remarks);
  const unknown = unknownKeyNames(r.unknown);
  if (unknown.length && r.source !== 'newer')
    out.push(
      `The settings file has keys this version does not know (${unknown.join(', ')}): they are kept in the file as they are.`,
    );
  return out;
}
