// Picks how QEMU runs the guest: hardware virtualization where it really works, TCG otherwise.
// A /dev/kvm that opens is not enough, nor is firmware that runs: nested setups accept the device
// and then fail on Berth's own kernel (a KVM "emulation failure" while it decompresses, or an
// abort in kvm_buf_set_msrs). So 'auto' boots that kernel to its first userspace attempt (a panic
// on a root that does not exist) and caches the verdict; every real boot is watched as well
// (boot-supervisor.ts), and a failure seen there is recorded here too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Accelerator } from './accel-args.ts';
import { probeKernelBoot } from './kernel-probe.ts';

export { accelArgs, tcgCacheMiB, type Accelerator } from './accel-args.ts';
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
  /** Berth's kernel: the probe boots it, and its identity is part of the cached verdict. */
  kernel: string;
  cacheFile: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Injected for tests; the default really boots the kernel. */
  probe?: (qemu: string, accel: Accelerator, kernel: string) => Promise<string | null>;
}

export async function chooseAccelerator(setting: AcceleratorSetting, deps: ProbeDeps): Promise<AcceleratorChoice> {
  if (setting === 'tcg') return { accel: 'tcg', reason: 'set to TCG in settings' };
  const platform = deps.platform ?? process.platform;
  const native = nativeAccelerator(platform, deps.arch ?? process.arch);
  if (!native)
    return {
      accel: 'tcg',
      reason: `no hardware accelerator for an x86_64 guest on ${platform}/${deps.arch ?? process.arch}`,
    };
  if (native === 'kvm') {
    // BERTH_KVM_DEVICE: another device node to check (a test whose fake QEMU stands in for KVM).
    const device = process.env.BERTH_KVM_DEVICE || '/dev/kvm';
    try {
      fs.accessSync(device, fs.constants.R_OK | fs.constants.W_OK);
    } catch {
      return fallback(setting, native, `${device} is missing or not accessible (add yourself to the kvm group)`);
    }
  }
  const key = cacheKey(deps, native);
  const cached = readCache(deps.cacheFile, key);
  const failure =
    cached !== undefined ? cached : await (deps.probe ?? probeKernelBoot)(deps.qemuBinary, native, deps.kernel);
  if (cached === undefined) writeCache(deps.cacheFile, key, failure);
  if (failure) return fallback(setting, native, `${native} is present but unusable: ${failure}`);
  return { accel: native, reason: `${native} works on this machine` };
}

/**
 * A hardware accelerator that passed the probe and then failed a real boot: remembered, so the
 * next start goes straight to TCG; returns what to run now (throws when the setting insists).
 */
export function recordBootFailure(
  setting: AcceleratorSetting,
  deps: ProbeDeps,
  accel: Accelerator,
  failure: string,
): AcceleratorChoice {
  writeCache(deps.cacheFile, cacheKey(deps, accel), `failed while booting: ${failure}`);
  return fallback(setting, accel, `${accel} failed while booting Berth's kernel: ${failure}`);
}

function fallback(setting: AcceleratorSetting, native: Accelerator, why: string): AcceleratorChoice {
  if (setting === 'kvm') throw new Error(`accelerator is set to kvm, but ${why}`);
  return { accel: 'tcg', reason: `${why}; using TCG emulation (slow)` };
}

/** The verdict holds for this QEMU build, this kernel image and this host kernel. */
function cacheKey(deps: ProbeDeps, accel: Accelerator): string {
  const stamp = (file: string): string => {
    try {
      const st = fs.statSync(file);
      return `${st.size}:${Math.round(st.mtimeMs)}`;
    } catch {
      return 'missing';
    }
  };
  const qemu = resolveOnPath(deps.qemuBinary);
  return [accel, qemu, stamp(qemu), stamp(deps.kernel), os.release()].join('|');
}

/** A bare command name resolved the way spawn would find it, so its file can be stat'ed. */
export function resolveOnPath(cmd: string, env = process.env): string {
  if (cmd.includes('/') || cmd.includes('\\')) return path.resolve(cmd);
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return cmd;
}

function readCache(file: string, key: string): string | null | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { key?: string; failure?: string | null };
    return data.key === key ? (data.failure ?? null) : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(file: string, key: string, failure: string | null): void {
  try {
    fs.writeFileSync(file, JSON.stringify({ key, failure }), { mode: 0o600 });
  } catch {
    /* cache only */
  }
}
