// The Rust virtiofsd unpacked into the cache for hosts that have only QEMU's C one: what counts as
// a whole payload, and the wrapper that runs it with its own loader and libraries (checked by
// running a stand-in daemon through it, with a stand-in loader that records its arguments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedVirtiofsd, VIRTIOFSD_MANIFEST, WRAPPER, wrapperScript } from '../../engine/host/virtiofsd-runtime.ts';

test('a payload counts once its manifest and wrapper are there; the newest wins', (t) => {
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-vfsd-'));
  t.after(() => fs.rmSync(downloads, { recursive: true, force: true }));
  assert.equal(cachedVirtiofsd(downloads), null);
  const make = (name: string, version: string, wrapper: boolean): string => {
    const dir = path.join(downloads, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, VIRTIOFSD_MANIFEST), JSON.stringify({ version, suite: 'trixie', packages: [] }));
    if (wrapper) fs.writeFileSync(path.join(dir, WRAPPER), wrapperScript(), { mode: 0o755 });
    return dir;
  };
  make('virtiofsd-1.13.2.partial-99', '1.13.2', true);
  assert.equal(cachedVirtiofsd(downloads), null, 'a fetch cut short is not a payload');
  make('virtiofsd-1.13.2', '1.13.2', false);
  assert.equal(cachedVirtiofsd(downloads), null, 'no wrapper: not whole');
  const whole = make('virtiofsd-1.12.0', '1.12.0', true);
  assert.equal(cachedVirtiofsd(downloads)?.dir, whole);
});

test("the wrapper runs the daemon through the payload's own loader with its libraries, arguments intact", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-vfsd-wrap-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'lib'));
  // A stand-in loader: prints what it was asked to run.
  fs.writeFileSync(path.join(dir, 'lib', 'ld-linux-x86-64.so.2'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, WRAPPER), wrapperScript(), { mode: 0o755 });
  // Called through a symlink, as a cache path might be: the payload is still found beside the script.
  fs.symlinkSync(path.join(dir, WRAPPER), path.join(dir, 'link'));
  const r = spawnSync(path.join(dir, 'link'), ['--socket-path=/s p', '--shared-dir=/x'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    '--library-path',
    path.join(fs.realpathSync(dir), 'lib'),
    path.join(fs.realpathSync(dir), 'virtiofsd.bin'),
    '--socket-path=/s p',
    '--shared-dir=/x',
  ]);
});
