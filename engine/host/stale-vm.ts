// A QEMU that runs on this data dir's disk without a host that owns it (the host crashed, or was
// killed): found by its pid file or, on Linux, by the disk on its command line; and, when it
// cannot be adopted, stopped: asked first, killed after a bound, and waited for until its process
// has exited and the data disk's locks are free, so the next QEMU never meets "Failed to get
// 'write' lock".
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { DataDir } from './paths.ts';
import type { ConnectGuest } from './guest-link.ts';
import { QmpClient } from './qmp.ts';
import { commandLine, pidAlive, waitForExit } from './process-watch.ts';
import { qemuImgBinary } from './vm-files.ts';

export function qemuPidFile(data: DataDir): string {
  return path.join(data.vmDir, 'qemu.pid');
}

function isOurQemu(argv: string[] | null, data: DataDir): boolean {
  if (argv === null) return process.platform !== 'linux'; // no /proc: trust our pid file
  return argv.some((a) => a.includes('qemu-system')) && argv.some((a) => a.includes(data.vmDir));
}

/** The pid of a QEMU using this data dir's disk, or null. */
export function findDataDirQemu(data: DataDir): number | null {
  try {
    const pid = Number(fs.readFileSync(qemuPidFile(data), 'utf8').trim());
    if (pidAlive(pid) && isOurQemu(commandLine(pid), data)) return pid;
  } catch {
    /* no pid file */
  }
  if (process.platform !== 'linux') return null;
  // The pid file may be gone (a host killed between QEMU's start and its pid file): look for the disk.
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 1 && pid !== process.pid && pidAlive(pid) && isOurQemu(commandLine(pid), data))
      return pid;
  }
  return null;
}

export interface RetireOptions {
  /** Asks the guest to power off (SSH's `systemctl poweroff`, when it answers). */
  askGuest?: () => Promise<void>;
  /** How long a guest that was asked gets to power off. */
  graceMs?: number;
  log: (line: string) => void;
}

/** Asks the guest to power off over SSH (the guest has no handler for the ACPI button). */
export async function poweroffOverSsh(connect: ConnectGuest, sshPort: number): Promise<void> {
  const link = await connect(sshPort, 5_000, () => null);
  try {
    await link.exec('systemctl poweroff --no-block', { timeoutMs: 5_000 });
  } finally {
    link.end();
  }
}

/** Stops the QEMU at pid and resolves once it has exited and the data disk is unlocked. */
export async function retireQemu(data: DataDir, pid: number, o: RetireOptions): Promise<void> {
  const grace = o.graceMs ?? (Number(process.env.BERTH_STALE_VM_GRACE_MS) || 15_000);
  o.log(`engine: stopping the VM an earlier Berth host left running (QEMU pid ${pid})`);
  await Promise.race([o.askGuest?.().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
  // The power button too: a guest that listens for it powers off; one that does not costs the grace.
  const qmp = await QmpClient.connect(data.qmpSocket, 2_000).catch(() => null);
  await qmp?.execute('system_powerdown').catch(() => undefined);
  qmp?.close();
  if (!(await waitForExit(pid, grace))) {
    o.log(`engine: the old VM did not power off within ${grace / 1000} s; killing QEMU (pid ${pid})`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    if (!(await waitForExit(pid, 10_000))) throw new Error(`the old VM's QEMU (pid ${pid}) did not exit after SIGKILL`);
  }
  await waitForDiskUnlocked(data.dataDisk, 10_000);
  fs.rmSync(qemuPidFile(data), { force: true });
}

/** For a wipe, with nothing to keep: the leftover QEMU (findDataDirQemu's pid) killed and waited for. */
export async function killQemu(data: DataDir, pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
  await waitForExit(pid, 10_000);
  fs.rmSync(qemuPidFile(data), { force: true });
}

/** qemu-img opens the disk only when no QEMU holds its write lock: polled until it can. */
export async function waitForDiskUnlocked(disk: string, timeoutMs: number): Promise<void> {
  if (!fs.existsSync(disk)) return;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await run(qemuImgBinary(), ['info', '--output=json', disk]);
    if (r.code === 0 || !/lock/i.test(r.stderr)) return;
    if (Date.now() > until)
      throw new Error(`the VM data disk ${disk} is still locked by another process: ${r.stderr.trim()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

function run(bin: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', (e) => resolve({ code: -1, stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
