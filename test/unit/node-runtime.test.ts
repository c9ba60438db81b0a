// The VM's Node.js runtime pin: read from the recipe, fetched through npm (a stand-in npm on PATH
// here), kept only when its bytes match the pinned integrity, and taken from the cache after that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { RECIPE_DIR } from '../../engine/image/recipe.ts';
import { integrityOf, nodeRuntimeBinary, nodeRuntimePin } from '../../engine/image/node-runtime.ts';

test('the recipe pins the runtime by package, version and sha512 integrity', () => {
  const pin = nodeRuntimePin(RECIPE_DIR);
  assert.ok(pin, 'the current recipe has a pin');
  assert.match(pin.integrity, /^sha512-/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pin-'));
  try {
    assert.equal(nodeRuntimePin(dir), null, 'a recipe without one (a released recipe)');
    fs.writeFileSync(path.join(dir, 'node-runtime.json'), JSON.stringify({ ...pin, version: 'latest' }));
    assert.throws(() => nodeRuntimePin(dir), /version/, 'a floating version is refused');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the runtime is kept only when the fetched package matches its integrity, then comes from the cache', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-node-rt-'));
  const pkg = path.join(tmp, 'src', 'package', 'bin');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'node'), '#!/bin/sh\necho fake node\n', { mode: 0o755 });
  const tgz = path.join(tmp, 'fake.tgz');
  execFileSync('tar', ['-czf', tgz, '-C', path.join(tmp, 'src'), 'package']);
  // A stand-in npm: `npm pack SPEC --pack-destination DIR` copies the tarball there.
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, 'npm'),
    `#!/bin/sh\necho "$@" >> '${tmp}/calls'\ncp '${tgz}' "$4/fake-node-1.2.3.tgz"\n`,
    { mode: 0o755 },
  );
  const oldPath = process.env.PATH;
  process.env.PATH = `${bin}:${oldPath}`;
  try {
    const downloads = path.join(tmp, 'downloads');
    const good = { package: 'fake-node', version: '1.2.3', integrity: integrityOf(fs.readFileSync(tgz)) };
    assert.throws(
      () => nodeRuntimeBinary({ ...good, integrity: integrityOf(Buffer.from('other')) }, downloads),
      /integrity .* is not the pinned/,
    );
    assert.equal(fs.existsSync(path.join(downloads, 'fake-node-1.2.3')), false, 'nothing kept from a mismatch');
    const node = nodeRuntimeBinary(good, downloads);
    assert.equal(fs.readFileSync(node, 'utf8'), '#!/bin/sh\necho fake node\n');
    assert.equal(nodeRuntimeBinary(good, downloads), node, 'the second time from the cache');
    assert.equal(
      fs.readFileSync(path.join(tmp, 'calls'), 'utf8').trim().split('\n').length,
      2,
      'npm ran for the two fetches only',
    );
  } finally {
    process.env.PATH = oldPath;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
