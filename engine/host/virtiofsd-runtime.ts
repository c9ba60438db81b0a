// The Rust virtiofsd for hosts that have only QEMU's C one. Debian bookworm ships the C daemon
// (qemu-system-common 7.2: deprecated upstream, no thread pool that survives parallel load); the
// Rust one is Debian's `virtiofsd` package from trixie, built against trixie's glibc (2.39+), so
// it comes as a Debian tool with its own loader and libraries (debian-tool.ts).
import path from 'node:path';
import { downloadsDir } from '../image/locate.ts';
import type { Payload } from './feature-payload.ts';
import {
  cachedTool,
  type DebianTool,
  fetchTool,
  manifestName,
  type ToolManifest,
  wrapperScript as toolWrapper,
} from './debian-tool.ts';

/** The daemon and exactly what it links (readelf -d: libseccomp, libcap-ng, libgcc_s, libm, libc). */
const TOOL: DebianTool = {
  name: 'virtiofsd',
  suite: 'trixie',
  packages: ['virtiofsd', 'libc6', 'libcap-ng0', 'libgcc-s1', 'libseccomp2'],
  libs: ['ld-linux-x86-64.so.2', 'libc.so.6', 'libm.so.6', 'libcap-ng.so.0', 'libgcc_s.so.1', 'libseccomp.so.2'],
  programs: { virtiofsd: [path.join('usr', 'libexec', 'virtiofsd')] },
  versionArgs: ['--version'],
};
export const VIRTIOFSD_MANIFEST = manifestName(TOOL);
/** Where Debian (trixie and later) and Fedora install the Rust virtiofsd: used before any payload. */
export const SYSTEM_RUST_VIRTIOFSD = '/usr/libexec/virtiofsd';
/** The wrapper's name in the payload: what findVirtiofsd returns. */
export const WRAPPER = TOOL.name;

/** The unpacked Rust virtiofsd in the cache, or null. Only x86_64 Linux hosts get one. */
export function cachedVirtiofsd(downloads = downloadsDir()): Payload<ToolManifest> | null {
  return cachedTool(TOOL, downloads);
}

/** The wrapper: trixie's loader runs the daemon with trixie's libraries, found beside the script. */
export function wrapperScript(): string {
  return toolWrapper(WRAPPER);
}

export function fetchVirtiofsd(
  downloads = downloadsDir(),
  log: (line: string) => void = () => {},
): Payload<ToolManifest> {
  return fetchTool(TOOL, downloads, log);
}
