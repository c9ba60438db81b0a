// Finding or starting the background Berth host for a data dir, and talking to it over the
// control socket with the contract's client.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { ControlClient, callHost, hostPid } from '../control/control-client.ts';
import { findDataDirQemu } from '../../../engine/host/stale-vm.ts';
import { pidAlive } from '../../../engine/host/process-watch.ts';
import type { DataDir } from '../../../engine/host/paths.ts';
import { berthPath } from '../../../engine/shared/berth-root.ts';

const BERTH_BIN = berthPath('bin', 'berth.js');

/** Makes sure a host serves the data dir: the running one, or one started in the background. */
export async function ensureHost(data: DataDir): Promise<void> {
  if ((await hostPid(data.controlSocket)) !== null) return;
  data.ensure();
  const leftVm = findDataDirQemu(data) !== null;
  if (leftVm) console.error('berth: the engine an earlier Berth host started is still running: taking it over');
  const log = fs.openSync(data.hostLog, 'a', 0o600);
  const child = spawn(process.execPath, [BERTH_BIN, 'host'], {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
    env: { ...process.env, BERTH_HOME: data.root },
  });
  fs.closeSync(log);
  const started = await new Promise<boolean>((resolve, reject) => {
    let busy = false;
    child.once('message', (m) => {
      if (m === 'ready') resolve(true);
      else if (typeof m === 'object' && m !== null && 'busy' in m) {
        busy = true;
        // Another command's host took the data dir first: it is the one to talk to.
        waitForHost(data, Number(m.busy)).then(() => resolve(false), reject);
      } else reject(new Error(String((m as { error?: string }).error ?? m)));
    });
    child.once('exit', (code) => {
      if (!busy) reject(new Error(`the Berth host exited at start (code ${code}); see ${data.hostLog}`));
    });
  });
  child.removeAllListeners('exit');
  if (child.connected) child.disconnect();
  child.unref();
  if (started && leftVm) await tellTakeover(data);
}

/** Waits until the host holding the lock (ownerPid) answers on the control socket. */
async function waitForHost(data: DataDir, ownerPid: number): Promise<void> {
  const until = Date.now() + 60_000;
  while ((await hostPid(data.controlSocket)) === null) {
    if (!pidAlive(ownerPid))
      throw new Error(`the Berth host (pid ${ownerPid}) that holds ${data.root} exited; see ${data.hostLog}`);
    if (Date.now() > until)
      throw new Error(`the Berth host (pid ${ownerPid}) holds ${data.root} but does not answer; see ${data.hostLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the new host did with the engine an earlier one left running, on stderr. */
async function tellTakeover(data: DataDir): Promise<void> {
  const st = await callHost(data.controlSocket, 'engine.status', {}).catch(() => null);
  if (!st) return;
  if (st.adopted) console.error(`berth: adopted a running engine (pid ${st.adopted.pid}): containers kept running`);
  for (const n of st.notices ?? []) console.error(`berth: ${n}`);
}

/** Runs fn on a connection to the data dir's host (started if needed), closed afterwards. */
export async function withHost<T>(data: DataDir, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  await ensureHost(data);
  return withClient(await ControlClient.connect(data.controlSocket), fn);
}

/**
 * Runs fn on a connection to the running host; null when no host runs (nothing is started),
 * unless an earlier host left the engine running: then a host comes back and adopts it.
 */
export async function withRunningHost<T>(data: DataDir, fn: (client: ControlClient) => Promise<T>): Promise<T | null> {
  let client: ControlClient;
  try {
    client = await ControlClient.connect(data.controlSocket);
  } catch {
    if (findDataDirQemu(data) === null) return null;
    await ensureHost(data);
    client = await ControlClient.connect(data.controlSocket);
  }
  return withClient(client, fn);
}

async function withClient<T>(client: ControlClient, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
