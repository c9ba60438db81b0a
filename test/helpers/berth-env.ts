// A throwaway Berth install for one test file: its own data dir and docker config, and the CLI.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineStatusSchema, type EngineStatus } from '../../engine/host/engine-types.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.js');

export interface CliResult { code: number; stdout: string; stderr: string; }

export class BerthEnv {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  readonly data = new DataDir(path.join(this.root, 'home'));
  readonly dockerConfig = path.join(this.root, 'docker-config');
  readonly env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: this.data.root, DOCKER_CONFIG: this.dockerConfig };

  cli(args: string[], timeoutMs = 900_000): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d; });
      child.stderr.on('data', (d: Buffer) => { stderr += d; });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`berth ${args.join(' ')} timed out`)); }, timeoutMs);
      child.on('exit', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }); });
    });
  }

  async status(): Promise<EngineStatus> {
    const r = await this.cli(['status', '--json']);
    return EngineStatusSchema.parse(JSON.parse(r.stdout));
  }

  docker(): Docker { return new Docker({ socketPath: this.data.dockerSocket }); }

  /** Stops the VM and host if still running, then deletes everything. */
  async dispose(): Promise<void> {
    await this.cli(['stop'], 120_000).catch(() => undefined);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
