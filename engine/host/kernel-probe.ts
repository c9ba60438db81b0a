// Boots Berth's own kernel with nothing to run (no root, no init) and watches it reach its
// first userspace attempt: the kernel panics "Unable to mount root", QEMU exits (-no-reboot).
// That proves an accelerator with the real kernel, not firmware only, and it is the reference
// "kernel's own boot" the start-up benchmark divides by.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accelArgs, type Accelerator } from './accel-args.ts';
import { QmpClient } from './qmp.ts';
import { firmwareArgs } from './qemu-runtime.ts';

export interface KernelBoot {
  /** null when the kernel reached userspace; otherwise what went wrong, in QEMU's words. */
  failure: string | null;
  /** QEMU's wall time from spawn to the kernel's panic line (or to the failure). */
  ms: number;
  console: string[];
}

// The kernel's own words once it is done with everything before init.
const REACHED_USERSPACE = /Kernel panic|Unable to mount root|No working init found|Run \S+ as init process/;

export interface KernelBootOptions {
  initrd?: string;
  timeoutMs?: number;
  /** Extra QEMU arguments (the benchmark passes the real boot's -smp/-m). */
  extra?: string[];
}

export async function kernelBoot(
  qemu: string,
  accel: Accelerator,
  kernel: string,
  o: KernelBootOptions = {},
): Promise<KernelBoot> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-probe-'));
  const qmpPath = path.join(dir, 'qmp.sock');
  const t0 = Date.now();
  const args = [
    '-name',
    'berth-probe',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    ...firmwareArgs(qemu),
    '-machine',
    'q35',
    ...accelArgs(accel),
    '-m',
    '256',
    ...(o.extra ?? []),
    '-kernel',
    kernel,
    ...(o.initrd ? ['-initrd', o.initrd] : []),
    '-append',
    'console=ttyS0 loglevel=1 panic=-1 rdinit=/berth-probe-none root=/dev/berth-probe-none',
    '-chardev',
    'stdio,id=con,signal=off',
    '-serial',
    'chardev:con',
    '-qmp',
    `unix:${qmpPath},server=on,wait=off`,
  ];
  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  let settle!: (failure: string | null) => void;
  const verdict = new Promise<string | null>((r) => {
    settle = r;
  });
  child.stdout.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-16384);
    if (REACHED_USERSPACE.test(out)) settle(null);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8192);
  });
  child.on('error', (e) => settle(`cannot run ${qemu}: ${e.message}`));
  child.on('exit', (code, signal) => {
    if (REACHED_USERSPACE.test(out)) settle(null);
    else
      settle(
        `QEMU ${signal ? `was killed by ${signal}` : `exited (${code})`} before the kernel came up: ${lastLines(stderr) || 'no message'}`,
      );
  });
  // A KVM "internal error" pauses the VM instead of exiting: QMP's STOP event says so.
  void watchRunState(
    qmpPath,
    () => child.exitCode === null,
    (state) => settle(`the VM stopped in run state ${state}: ${lastLines(stderr) || 'no message'}`),
  );
  const timeoutMs = o.timeoutMs ?? 20_000;
  const timer = setTimeout(
    () =>
      settle(
        `the kernel did not reach userspace within ${timeoutMs / 1000} s${stderr ? `: ${lastLines(stderr)}` : ''}`,
      ),
    timeoutMs,
  );
  const failure = await verdict;
  const ms = Date.now() - t0;
  clearTimeout(timer);
  child.kill('SIGKILL');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    failure,
    ms,
    console: out
      .replace(/\r/g, '')
      .split('\n')
      .filter((l) => l.trim())
      .slice(-20),
  };
}

/** The accelerator probe: null when `accel` boots Berth's kernel, else why not. */
export async function probeKernelBoot(qemu: string, accel: Accelerator, kernel: string): Promise<string | null> {
  return (await kernelBoot(qemu, accel, kernel)).failure;
}

async function watchRunState(qmpPath: string, alive: () => boolean, onStopped: (state: string) => void): Promise<void> {
  for (let i = 0; i < 100 && alive(); i++) {
    try {
      const qmp = await QmpClient.connect(qmpPath, 2000);
      const check = async (): Promise<void> => {
        const st = await qmp.execute<{ status: string }>('query-status').catch(() => null);
        if (st && st.status !== 'running' && st.status !== 'prelaunch') onStopped(st.status);
      };
      qmp.on('event', (ev) => {
        if (ev.event === 'STOP' || ev.event === 'GUEST_PANICKED') void check();
      });
      await check(); // a stop before we subscribed
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export function lastLines(s: string, n = 2): string {
  return s
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' / ');
}
