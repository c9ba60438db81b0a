// Adoption benchmark: prints numbers, asserts nothing. As a user meets it, whole commands from the
// shell: a cold `berth start`, then the Berth host killed with SIGKILL and the time until the
// host's own `docker version` answers through Berth's socket again (the next `berth status`
// brings a host back, which adopts the running VM), three times; each beside the cold start.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataDir } from '../../engine/host/paths.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.js');
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}

export async function bench(): Promise<void> {
  const data = new DataDir(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-adopt-')), 'home'));
  const env = {
    ...process.env,
    BERTH_HOME: data.root,
    BERTH_NO_DOCKER_CONTEXT: '1',
    DOCKER_HOST: `unix://${data.dockerSocket}`,
  };
  try {
    const cold = timed(process.execPath, [BIN, 'start'], env) + timed('docker', ['version'], env);
    console.log(`cold start + docker version:        ${s(cold)}`);
    const takes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const host = Number(fs.readFileSync(path.join(data.runDir, 'host.pid'), 'utf8'));
      const t0 = performance.now();
      process.kill(host, 'SIGKILL');
      timed(process.execPath, [BIN, 'status'], env);
      timed('docker', ['version'], env);
      takes.push(performance.now() - t0);
    }
    const median = [...takes].sort((a, b) => a - b)[1]!;
    console.log(`host crash -> docker version works: ${takes.map(s).join(', ')} (median ${s(median)})`);
    console.log(`adoption / cold start:              ${(median / cold).toFixed(3)} (goal <= 0.1)`);
  } finally {
    spawnSync(process.execPath, [BIN, 'stop'], { env });
    fs.rmSync(path.dirname(data.root), { recursive: true, force: true });
  }
}
