// `berth diagnose` with no engine running: the archive from the data dir alone, no host started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const BIN = path.resolve(import.meta.dirname, '../../bin/berth.js');

test('berth diagnose --output writes the archive without starting a host', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-diag-cli-'));
  fs.mkdirSync(path.join(home, 'logs'), { recursive: true });
  fs.writeFileSync(path.join(home, 'logs', 'host.log'), 'an earlier start\n');
  const out = path.join(home, 'report.tar.gz');
  const r = spawnSync(process.execPath, [BIN, 'diagnose', '--output', out], {
    env: { ...process.env, BERTH_HOME: home },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Diagnostics written to ${out}`));
  const tar = zlib.gunzipSync(fs.readFileSync(out)).toString('latin1');
  for (const name of ['status.json', 'logs/host.log', 'guest/not-running.txt'])
    assert.ok(tar.includes(`berth-diagnostics/${name}`), name);
  assert.ok(!fs.existsSync(path.join(home, 'run', 'berth.sock')), 'no host was started');
  const bad = spawnSync(process.execPath, [BIN, 'diagnose', '--output', 'report.zip'], {
    env: { ...process.env, BERTH_HOME: home },
    encoding: 'utf8',
  });
  assert.equal(bad.status, 2);
});
