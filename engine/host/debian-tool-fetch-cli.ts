// `node bin/run-ts.js engine/host/debian-tool-fetch-cli.ts [--prefix WORD] TOOL...` (scripts/setup.sh):
// on a Debian bookworm x86_64 host, unpacks each named tool from a newer suite into Berth's cache
// (debian-tool.ts) unless the host or the cache has one; silent when there is nothing to do, a
// warning and exit 1 when one fails (Berth then runs without it, as the warning says).
import fs from 'node:fs';
import os from 'node:os';
import { bookwormHost } from './private-apt.ts';
import type { Payload } from './feature-payload.ts';
import type { ToolManifest } from './debian-tool.ts';
import { cachedVirtiofsd, fetchVirtiofsd, SYSTEM_RUST_VIRTIOFSD } from './virtiofsd-runtime.ts';
import { fetchPasst, passtFor } from './passt-runtime.ts';

interface Wanted {
  /** True when the host or the cache already has it. */
  have(): boolean;
  fetch(log: (line: string) => void): Payload<ToolManifest>;
  /** What Berth does with it, and without it. */
  uses: string;
  without: string;
}

const TOOLS: Record<string, Wanted> = {
  virtiofsd: {
    have: () => fs.existsSync(SYSTEM_RUST_VIRTIOFSD) || cachedVirtiofsd() !== null,
    fetch: (log) => fetchVirtiofsd(undefined, log),
    uses: "file sharing uses it instead of QEMU's C one",
    without: "file sharing uses QEMU's C one",
  },
  passt: {
    have: () => !('reason' in passtFor({})),
    fetch: (log) => fetchPasst(undefined, log),
    uses: "the VM's network and published ports run on it",
    without: "the VM keeps QEMU's user network, where published ports run at about a third of passt's speed",
  },
};

const args = process.argv.slice(2);
const p = args.indexOf('--prefix');
const prefix = `${p >= 0 && args[p + 1] ? args[p + 1] : 'berth-tools'}: `;
const names = args.filter((_, i) => !(p >= 0 && (i === p || i === p + 1)));
const home = (f: string): string => (f.startsWith(`${os.homedir()}/`) ? `~${f.slice(os.homedir().length)}` : f);

for (const name of names) {
  const tool = TOOLS[name];
  if (!tool) {
    console.error(`${prefix}no tool '${name}' (known: ${Object.keys(TOOLS).join(', ')})`);
    process.exitCode = 2;
    continue;
  }
  if (tool.have() || bookwormHost() || process.arch !== 'x64') continue;
  const t0 = Date.now();
  try {
    const b = tool.fetch((l) => console.log(`${prefix}${l}`));
    console.log(
      `${prefix}${name} ${b.manifest.version} from ${b.manifest.suite} in ${home(b.dir)} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${tool.uses}`,
    );
  } catch (e) {
    console.error(`${prefix}warning: no ${name}: ${(e as Error).message}; ${tool.without}`);
    process.exitCode = 1;
  }
}
