// Whole-command benchmark: prints numbers, asserts nothing. Apply & Restart as the user times it:
// each figure is a `berth` command run as a child process from the shell (node start-up, the CLI,
// the host's work, the engine's), on one fresh engine, the first switch after its boot included.
// The figures the issue measured before this work are printed beside them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'berth.js');
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}

export async function bench(): Promise<void> {
  const home = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-cli-')), 'home');
  const env = { ...process.env, BERTH_HOME: home, BERTH_NO_DOCKER_CONTEXT: '1' };
  const berth = (...args: string[]): number => timed(process.execPath, [BIN, ...args], env);
  try {
    berth('help'); // the bundle built and the file cache warm, as for a user's second command
    const help = median([berth('help'), berth('help'), berth('help')]);
    console.log(`berth help:                 ${s(help)} (goal <= 0.15 s)`);
    const start = berth('start');
    console.log(`berth start (cold):         ${s(start)}`);
    const status = median([1, 2, 3, 4, 5].map(() => berth('status')));
    console.log(`berth status (running):     ${s(status)} median of 5 (before: 0.8 s; goal <= 0.2 s)`);
    const npx = median([1, 2, 3].map(() => timed('npx', ['berth', 'status'], env)));
    console.log(`npx berth status:           ${s(npx)} median of 3 (before: 1.7 s; npm's own start-up is the rest)`);
    const first = berth('store', 'use', 'classic');
    const later: number[] = [];
    for (const store of ['containerd', 'classic', 'containerd', 'classic', 'containerd'])
      later.push(berth('store', 'use', store));
    const restart = berth('restart');
    console.log(`berth store use, first:     ${s(first)} after the boot (before: 8.5 s)`);
    console.log(
      `berth store use, later:     ${later.map(s).join(', ')} (median ${s(median(later))}; before: 5.3-6.1 s)`,
    );
    console.log(`berth restart:              ${s(restart)} (before: 25.3 s)`);
    console.log(
      `switch / restart:           first ${(first / restart).toFixed(2)} (before 0.34), later ${(median(later) / restart).toFixed(2)} (before 0.21-0.24); goal <= 0.2, then <= 0.1`,
    );
  } finally {
    spawnSync(process.execPath, [BIN, 'stop'], { env });
    fs.rmSync(path.dirname(home), { recursive: true, force: true });
  }
}
