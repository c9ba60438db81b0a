// The `berth` CLI runs as prebuilt JavaScript (bin/cli-bundle.js): the bundle itself runs, a
// changed source is built again before the next run (in a throwaway copy of bin/ with a stand-in
// CLI, so no real source is touched), and a build that fails never falls back on the old bundle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERTH_ROOT, findBerthRoot } from '../../engine/shared/berth-root.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

function node(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 60_000 });
}

describe('the berth CLI bundle', { timeout: 180_000 }, () => {
  it('runs `berth help` from the bundle, exit 0 with the usage', () => {
    const built = node([path.join(REPO, 'bin', 'cli-bundle.js')]);
    assert.equal(built.status, 0, built.stderr);
    const entry = /berth CLI: (dist\/cli\/[0-9a-f]+\/berth\.mjs) /.exec(built.stdout)?.[1];
    assert.ok(entry, built.stdout);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-bundle-'));
    const r = node([path.join(REPO, entry), 'help'], { ...process.env, BERTH_HOME: home });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: berth <command>\n/);
    assert.match(r.stdout, /^ {2}status \[--json\] /m);
    assert.ok(r.stdout.includes(`The data dir is ${home} `), r.stdout);
    const viaBin = node([path.join(REPO, 'bin', 'berth.js'), 'help'], { ...process.env, BERTH_HOME: home });
    assert.equal(viaBin.status, 0, viaBin.stderr);
    assert.equal(viaBin.stdout, r.stdout);
    assert.doesNotMatch(viaBin.stderr, /tsx/, 'bin/berth.js ran the bundle, not the sources');
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('builds again when a source changed, and never runs the old bundle when that build fails', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-stale-'));
    const main = path.join(tmp, 'electron', 'node-host', 'cli', 'main.ts');
    fs.mkdirSync(path.dirname(main), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'bin'));
    for (const f of ['berth.js', 'cli-bundle.js']) fs.copyFileSync(path.join(REPO, 'bin', f), path.join(tmp, 'bin', f));
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'berth', type: 'module' }));
    fs.writeFileSync(path.join(tmp, 'tsconfig.json'), '{}');
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(tmp, 'node_modules'), 'junction');
    const run = (): ReturnType<typeof node> => node([path.join(tmp, 'bin', 'berth.js')]);
    try {
      fs.writeFileSync(main, "const v: string = 'one';\nconsole.log(`stand-in CLI ${v}`);\n");
      let r = run();
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'stand-in CLI one\n');
      assert.match(r.stderr, /^berth: built the CLI\n$/);
      r = run();
      assert.equal(r.stdout, 'stand-in CLI one\n');
      assert.equal(r.stderr, '', 'nothing changed: the bundle runs as built');

      fs.writeFileSync(main, "const v: string = 'three';\nconsole.log(`stand-in CLI ${v}`);\n");
      r = run();
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'stand-in CLI three\n');
      assert.equal(r.stderr, 'berth: rebuilt the CLI (sources changed: electron/node-host/cli/main.ts)\n');
      assert.equal(run().stderr, '');

      // A file the CLI does not import yet still counts: the next edit may import it.
      fs.mkdirSync(path.join(tmp, 'engine'));
      fs.writeFileSync(path.join(tmp, 'engine', 'new-module.ts'), 'export const x = 1;\n');
      assert.equal(run().stderr, 'berth: rebuilt the CLI (sources changed: engine/new-module.ts)\n');

      // esbuild cannot resolve the import (tsx would only fail if it ran): the sources run, not the old bundle.
      fs.writeFileSync(
        main,
        "console.log('stand-in CLI from sources');\nif (process.argv[2] === 'never') await import('./missing.ts');\n",
      );
      r = run();
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'stand-in CLI from sources\n');
      assert.match(
        r.stderr,
        /^berth: could not build the CLI \(.*Could not resolve "\.\/missing\.ts".*\); running it from its TypeScript sources through tsx\n$/s,
      );

      const builds = fs.readdirSync(path.join(tmp, 'dist', 'cli'));
      assert.ok(
        builds.length <= 3 && builds.every((b) => /^[0-9a-f]{20}$/.test(b)),
        `old builds pruned, no leftovers: ${builds.join(' ')}`,
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('BERTH_ROOT', () => {
  it('is the nearest folder above whose package.json is named berth', () => {
    assert.equal(BERTH_ROOT, REPO);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-root-'));
    try {
      fs.mkdirSync(path.join(tmp, 'app', 'dep', 'src'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'app', 'package.json'), JSON.stringify({ name: 'berth' }));
      fs.writeFileSync(path.join(tmp, 'app', 'dep', 'package.json'), JSON.stringify({ name: 'other' }));
      assert.equal(findBerthRoot(path.join(tmp, 'app', 'dep', 'src')), path.join(tmp, 'app'));
      assert.throws(() => findBerthRoot(tmp), /no package\.json named "berth" in .* or above it/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
