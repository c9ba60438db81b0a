// Finding or starting the background Berth host for a data dir, and talking to it over the
// control socket with the contract's client.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient, hostPid } from '../control/control-client.ts';
import type { DataDir } from '../../../engine/host/paths.ts';

const BERTH_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/berth.js');

/** Makes sure a host serves the data dir: the running one, or one started in the background. */
export async function ensureHost(data: DataDir): Promise<void> {
  if (await hostPid(data.controlSocket) !== null) return;
  data.ensure();
  const log = fs.openSync(data.hostLog, 'a', 0o600);
  const child = spawn(process.execPath, [BERTH_BIN, 'host'], {
    detached: true, stdio: ['ignore', log, log, 'ipc'], env: { ...process.env, BERTH_HOME: data.root },
  });
  fs.closeSync(log);
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m) => {
      if (m === 'ready') resolve();
      else reject(new Error(String((m as { error?: string }).error ?? m)));
    });
    child.once('exit', (code) => reject(new Error(`the Berth host exited at start (code ${code}); see ${data.hostLog}`)));
  });
  child.disconnect();
  child.unref();
}

/** Runs fn on a connection to the data dir's host (started if needed), closed afterwards. */
export async function withHost<T>(data: DataDir, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  await ensureHost(data);
  return withClient(await ControlClient.connect(data.controlSocket), fn);
}

/** Runs fn on a connection to the running host; null when no host runs (nothing is started). */
export async function withRunningHost<T>(data: DataDir, fn: (client: ControlClient) => Promise<T>): Promise<T | null> {
  let client: ControlClient;
  try { client = await ControlClient.connect(data.controlSocket); } catch { return null; }
  return withClient(client, fn);
}

async function withClient<T>(client: ControlClient, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  try { return await fn(client); } finally { client.close(); }
}
