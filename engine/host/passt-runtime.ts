// Which passt carries the VM's network on a Linux host, and forky's for hosts that lack one.
// Published ports need passt's run-time forward table, which `pesto` changes over passt's
// configuration socket (`-c`); it came in 0.0~git20260507, and forward targets of the guest's
// choosing (`port:addr/port`) with it. Debian bookworm's and trixie's passt predate it, so set-up
// unpacks forky's with its own loader (debian-tool.ts): plain C linked to libc alone.
import fs from 'node:fs';
import path from 'node:path';
import { downloadsDir } from '../image/locate.ts';
import { cachedTool, type DebianTool, fetchTool, type ToolManifest } from './debian-tool.ts';
import type { Payload } from './feature-payload.ts';

const TOOL: DebianTool = {
  name: 'passt',
  suite: 'forky',
  packages: ['passt', 'libc6'],
  libs: ['ld-linux-x86-64.so.2', 'libc.so.6'],
  // Both builds: passt re-executes its AVX2 build by its own path + ".avx2", which a loader-run
  // program cannot find, so the choice is made here (passtFor) by the CPU's flags.
  programs: { passt: ['usr/bin/passt'], 'passt.avx2': ['usr/bin/passt.avx2'], pesto: ['usr/bin/pesto'] },
  versionArgs: ['--version'],
};

/** A passt that can change its forwards at run time, and the pesto of the same build. */
export interface PasstRuntime {
  passt: string;
  pesto: string;
  version: string;
}

/** The answer to "which network": a passt, or why the VM keeps QEMU's user network. */
export type PasstChoice = PasstRuntime | { reason: string };

export function cachedPasst(downloads = downloadsDir()): Payload<ToolManifest> | null {
  return cachedTool(TOOL, downloads);
}

export function fetchPasst(downloads = downloadsDir(), log: (line: string) => void = () => {}): Payload<ToolManifest> {
  return fetchTool(TOOL, downloads, log);
}

function hasAvx2(): boolean {
  try {
    return /^flags\s*:.*\bavx2\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/**
 * BERTH_NET=user keeps QEMU's user network (a debugging knob); else the cached passt on Linux;
 * else the system's when it has pesto beside it (a passt new enough to change forwards).
 */
export function passtFor(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  downloads = downloadsDir(),
): PasstChoice {
  if (env.BERTH_NET === 'user') return { reason: 'BERTH_NET=user' };
  if (env.BERTH_NET && env.BERTH_NET !== 'passt')
    return { reason: `BERTH_NET=${env.BERTH_NET} is not 'user' or 'passt'` };
  if (platform !== 'linux') return { reason: 'passt runs on Linux hosts only' };
  const cached = cachedPasst(downloads);
  if (cached) {
    const avx2 = path.join(cached.dir, 'passt.avx2');
    return {
      passt: hasAvx2() && fs.existsSync(avx2) ? avx2 : path.join(cached.dir, 'passt'),
      pesto: path.join(cached.dir, 'pesto'),
      version: cached.manifest.version,
    };
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    const pesto = path.join(dir, 'pesto');
    if (fs.existsSync(pesto) && fs.existsSync(path.join(dir, 'passt')))
      return { passt: path.join(dir, 'passt'), pesto, version: 'system' };
  }
  return { reason: 'no passt with pesto (set-up unpacks one: npm run setup)' };
}
