// The test runs' crash report: the console lines around a guest kernel's panic, from either boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { guestCrashReport } from '../helpers/guest-crash.ts';

test("finds a panic in the last boot's console, and nothing in a clean one", () => {
  const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-crash-')));
  data.ensure();
  fs.writeFileSync(data.consoleLog, 'berth-init: started\nreboot: Power down\n');
  assert.equal(guestCrashReport(data), null);
  const boot = Array.from({ length: 50 }, (_, i) => `[ 1.${i}] line ${i}`);
  boot.splice(30, 0, 'Oops: int3: 0000 [#1] PREEMPT SMP NOPTI', 'RIP: 0010:sched_clock_cpu+0x9/0x1d0');
  fs.writeFileSync(data.previousConsoleLog, boot.join('\n'));
  const report = guestCrashReport(data, 2, 3)!;
  assert.match(report, /console\.previous\.log/);
  assert.deepEqual(report.trim().split('\n').slice(1), [
    '[ 1.28] line 28',
    '[ 1.29] line 29',
    'Oops: int3: 0000 [#1] PREEMPT SMP NOPTI',
    'RIP: 0010:sched_clock_cpu+0x9/0x1d0',
    '[ 1.30] line 30',
  ]);
});
