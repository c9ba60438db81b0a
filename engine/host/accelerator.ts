// Picks how QEMU runs the guest: hardware virtualization where it really works, TCG otherwise.
// A /dev/kvm that opens is not enough: nested setups (PVM here) accept the device and then
// fail on the first vCPU register write, so 'auto' probes with a throwaway QEMU and caches it.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { QmpClient } from './qmp.ts';

export type Accelerator = 'kvm' | 'hvf' | 'whpx' | 'tcg';
export type AcceleratorSetting = 'auto' | 'kvm' | 'tcg';

export interface AcceleratorChoice {
  accel: Accelerator;
  /** Why this one: shown by `berth status` and the dashboard's "emulated" warning. */
  reason: string;
}

/** The hardware accelerator a platform would use, if any. */
export function nativeAccelerator(platform: NodeJS.Platform, arch: string): Accelerator | null {
  if (platform === 'linux') return 'kvm';
  // An x86_64 guest on Apple silicon cannot use hvf: it is emulated.
  if (platform === 'darwin') return arch === 'x64' ? 'hvf' : null;
  if (platform === 'win32') return 'whpx';
  return null;
}

export interface ProbeDeps {
  qemuBinary: string;
  cacheFile: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Injected for tests; the default really runs QEMU. */
  probe?: (qemu: string, accel: Accelerator) => Promise<string | null>;
}

export async function chooseAccelerator(setting: AcceleratorSetting, deps: ProbeDeps): Promise<AcceleratorChoice> {
  if (setting === 'tcg') return { accel: 'tcg', reason: 'set to TCG in settings' };
  const platform = deps.platform ?? process.platform;
  const native = nativeAccelerator(platform, deps.arch ?? process.arch);
  if (!native) return { accel: 'tcg', reason: `no hardware accelerator for an x86_64 guest on ${platform}/${deps.arch ?? process.arch}` };
  if (native === 'kvm') {
    try { fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK); } catch {
      return fallback(setting, native, '/dev/kvm is missing or not accessible (add yourself to the kvm group)');
    }
  }
  const key = cacheKey(deps.qemuBinary, native);
  const cached = readCache(deps.cacheFile, key);
  const failure = cached !== undefined ? cached : await (deps.probe ?? probeAccelerator)(deps.qemuBinary, native);
  if (cached === undefined) writeCache(deps.cacheFile, key, failure);
  if (failure) return fallback(setting, native, `${native} is present but unusable: ${failure}`);
  return { accel: native, reason: `${native} works on this machine` };
}

function fallback(setting: AcceleratorSetting, native: Accelerator, why: string): AcceleratorChoice {
  if (setting === 'kvm') throw new Error(`accelerator is set to kvm, but ${why}`);
  return { accel: 'tcg', reason: `${why}; using TCG emulation (slow)` };
}

function cacheKey(qemu: string, accel: Accelerator): string {
  let stamp = '';
  try { const st = fs.statSync(qemu); stamp = `${st.size}:${st.mtimeMs}`; } catch { /* unknown binary */ }
  return [accel, qemu, stamp, os.release()].join('|');
}

function readCache(file: string, key: string): string | null | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { key?: string; failure?: string | null };
    return data.key === key ? (data.failure ?? null) : undefined;
  } catch { return undefined; }
}

function writeCache(file: string, key: string, failure: string | null): void {
  try { fs.writeFileSync(file, JSON.stringify({ key, failure }), { mode: 0o600 }); } catch { /* cache only */ }
}

/** Runs QEMU for ~2 s on firmware only; returns null when the accelerator kept running, else why not. */
export async function probeAccelerator(qemu: string, accel: Accelerator): Promise<string | null> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-probe-'));
  const qmpPath = path.join(dir, 'qmp.sock');
  const cpu = accel === 'tcg' ? 'max' : 'host';
  const child = spawn(qemu, ['-nodefaults', '-display', 'none', '-machine', 'q35', '-accel', accel, '-cpu', cpu,
    '-m', '64', '-qmp', `unix:${qmpPath},server=on,wait=off`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (e) => { stderr += e.message; resolve(null); });
  });
  try {
    const outcome = await Promise.race([
      exited.then((code) => `QEMU exited (${code}): ${lastLine(stderr)}`),
      (async () => {
        await new Promise((r) => setTimeout(r, 2000));
        const qmp = await QmpClient.connect(qmpPath, 3000);
        const st = await qmp.execute<{ status: string }>('query-status');
        qmp.close();
        return st.status === 'running' ? null : `vCPU status ${st.status}`;
      })(),
    ]);
    return outcome;
  } catch (e) {
    return `probe failed: ${(e as Error).message} ${lastLine(stderr)}`.trim();
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? '';
}

/** QEMU's -accel and -cpu for a choice; TCG gets threads and a bounded translation cache. */
export function accelArgs(accel: Accelerator): string[] {
  switch (accel) {
    case 'kvm': return ['-accel', 'kvm', '-cpu', 'host'];
    case 'hvf': return ['-accel', 'hvf', '-cpu', 'host'];
    case 'whpx': return ['-accel', 'whpx,kernel-irqchip=off', '-cpu', 'max'];
    case 'tcg': return ['-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max'];
  }
}
