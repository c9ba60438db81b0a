// Finding or starting the background Berth host for a data dir.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../control/control-client.ts';
import type { DataDir } from '../../engine/host/paths.ts';

const BERTH_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/berth.js');

/** Connects to the running host, or starts one in the background and waits for its ready signal. */
export async function ensureHost(data: DataDir): Promise<ControlClient> {
  const client = new ControlClient(data.controlSocket);
  if (await client.alive()) return client;
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
  return client;
}
