// Factory reset without a working host: `berth reset --factory` must work when the app or the VM
// is broken. It stops what is left running (a host that no longer answers, a stale QEMU),
// deletes the VM data, and restores the default settings through the same SettingsService.
import fs from 'node:fs';
import path from 'node:path';
import type { DataDir } from '../../../engine/host/paths.ts';
import { findDataDirQemu, killQemu } from '../../../engine/host/stale-vm.ts';
import { commandLine, pidAlive, readPidFile, waitForExit } from '../../../engine/host/process-watch.ts';
import { removeVmRecord } from '../../../engine/host/vm-record.ts';
import type { EnginePort } from './engine-port.ts';

/** A pid file can outlive its process and the pid be reused: on Linux, check it is a Berth host. */
function isBerthHost(pid: number): boolean {
  if (process.platform !== 'linux') return true;
  const args = commandLine(pid);
  return !!args && args.some((a) => a.endsWith(path.join('bin', 'berth.js'))) && args.includes('host');
}

/**
 * Stops a host process that holds this data dir but does not answer: SIGTERM (it stops the VM
 * cleanly), then SIGKILL after the grace period. Returns what it did, for the progress output.
 */
export async function stopUnresponsiveHost(data: DataDir, graceMs = 15_000): Promise<string | null> {
  const pidFile = path.join(data.runDir, 'host.pid');
  const pid = readPidFile(pidFile);
  if (pid === null || !pidAlive(pid) || !isBerthHost(pid)) return null;
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return `stopped the Berth host (pid ${pid})`;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* exited meanwhile */
  }
  fs.rmSync(pidFile, { force: true });
  return `killed the Berth host (pid ${pid}), which did not stop within ${graceMs / 1000} s`;
}

/** Deletes the VM's persistent data: the data disk holds both image stores and daemon.json. */
export async function wipeVmData(data: DataDir, onProgress: (msg: string) => void): Promise<void> {
  const qemu = findDataDirQemu(data);
  if (qemu !== null) {
    onProgress('Stopping a leftover QEMU.');
    await killQemu(data, qemu);
  }
  removeVmRecord(data);
  if (fs.existsSync(data.dataDisk)) {
    onProgress(`Deleting the VM data disk ${data.dataDisk}.`);
    fs.rmSync(data.dataDisk, { force: true });
  }
  fs.rmSync(`${data.dataDisk}.tmp`, { force: true });
}

/** The engine port when no host runs: nothing to restart, and the wipe works on files alone. */
export class OfflineEnginePort implements EnginePort {
  constructor(private readonly data: DataDir) {}
  isRunning(): boolean {
    return false;
  }
  async applyEngineConfig(): Promise<void> {
    throw new Error('the engine is not running');
  }
  async restartVm(): Promise<void> {
    throw new Error('the engine is not running');
  }
  async wipeEngineData(onProgress: (msg: string) => void): Promise<void> {
    await wipeVmData(this.data, onProgress);
  }
}
