// What a test run keeps of a guest kernel that crashed: the test's data dir is deleted at its end,
// so the console lines around a panic (an emulated vCPU meeting kernel text being patched has
// done this) are printed into the run's output first.
import fs from 'node:fs';
import type { DataDir } from '../../engine/host/paths.ts';

const CRASH = /Kernel panic|Oops|BUG:|general protection fault|Call Trace/;

/** The console lines around the first sign of a crash in this boot's or the last boot's console. */
export function guestCrashReport(data: DataDir, before = 20, after = 60): string | null {
  for (const file of [data.previousConsoleLog, data.consoleLog]) {
    let lines: string[];
    try {
      lines = fs.readFileSync(file, 'utf8').replace(/\r/g, '').split('\n');
    } catch {
      continue;
    }
    const at = lines.findIndex((l) => CRASH.test(l));
    if (at >= 0)
      return `guest kernel crash in ${file}:\n${lines.slice(Math.max(0, at - before), at + after).join('\n')}\n`;
  }
  return null;
}

/** Prints the report, if any, to stderr (the CI log). */
export function printGuestCrash(data: DataDir): void {
  const report = guestCrashReport(data);
  if (report) process.stderr.write(report);
}
