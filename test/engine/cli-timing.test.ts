// Apply & Restart as the user times it (real VM): `berth status` and `berth store use` run as child
// processes from the shell, timed whole, on the suite's shared engine. The figures are printed;
// only that the commands work, and say what they did, is asserted (the goals live in the bench).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthEnv } from '../helpers/berth-env.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.js');

/** One whole `berth` command: its wall time from spawn to exit, and what it printed. */
function timedCli(env: NodeJS.ProcessEnv, args: string[]): Promise<{ ms: number; code: number; out: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ ms: performance.now() - t0, code: code ?? -1, out }));
  });
}

describe('berth commands timed whole (real VM)', { timeout: 10 * 60_000 }, () => {
  const env = new BerthEnv({ shared: true });
  after(() => env.dispose());

  it('berth status and berth store use work as whole commands; their times are printed', async () => {
    await env.cli(['status']); // records the shared engine's state first (BerthEnv)
    const status = await timedCli(env.env, ['status']);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /state: +running/);
    assert.match(status.out, /qemu: /, 'status says which QEMU runs and why');

    const before = JSON.parse((await env.cli(['store', '--json'])).stdout) as { active: 'containerd' | 'classic' };
    const other = before.active === 'containerd' ? 'classic' : 'containerd';
    const there = await timedCli(env.env, ['store', 'use', other]);
    assert.equal(there.code, 0, there.out);
    assert.match(there.out, new RegExp(`The ${other} image store is active`));
    assert.match(there.out, /Switching the image store to/, 'the phases the dashboard shows');
    const back = await timedCli(env.env, ['store', 'use', before.active]);
    assert.equal(back.code, 0, back.out);
    console.log(
      `berth status: ${(status.ms / 1000).toFixed(2)} s; berth store use ${other}: ${(there.ms / 1000).toFixed(2)} s; back to ${before.active}: ${(back.ms / 1000).toFixed(2)} s`,
    );
  });
});
