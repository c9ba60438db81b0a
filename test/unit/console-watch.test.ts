// The console watch finds a line the guest prints as it is appended (no polling), across writes
// that split it, and stops cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watchConsoleFor } from '../../engine/host/console-watch.ts';

test('finds a line appended in pieces, and only a whole line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-console-'));
  const file = path.join(dir, 'console.log');
  fs.writeFileSync(file, '[    1.0] booting\nberth-init: started\n');
  const w = watchConsoleFor(file, /berth-init: error: (.+)$/);
  let found: string | null = null;
  void w.found.then((m) => {
    found = m[1]!;
  });
  fs.appendFileSync(file, 'berth-init: error: the data disk');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(found, null, 'a line without its end is not read yet');
  fs.appendFileSync(file, ' was written by a newer Berth engine\r\nmore\n');
  const m = await Promise.race([
    w.found,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not found in 5 s')), 5000)),
  ]);
  assert.equal(m[1], 'the data disk was written by a newer Berth engine');
  w.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a line already in the file is found at once; stop() leaves the promise pending', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-console-'));
  const file = path.join(dir, 'console.log');
  fs.writeFileSync(file, 'berth-init: error: refused\n');
  assert.equal((await watchConsoleFor(file, /berth-init: error: (.+)$/).found)[1], 'refused');
  const w = watchConsoleFor(file, /never printed/);
  w.stop();
  fs.appendFileSync(file, 'never printed\n');
  const r = await Promise.race([
    w.found.then(() => 'found'),
    new Promise((res) => setTimeout(() => res('pending'), 200)),
  ]);
  assert.equal(r, 'pending');
  fs.rmSync(dir, { recursive: true, force: true });
});
