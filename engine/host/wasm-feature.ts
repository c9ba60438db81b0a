// Wasm containers (features.wasm): dockerd's `wasm` runtime is Debian trixie's crun with its
// WasmEdge handler, run as a runc-compatible runtime under containerd's runc shim. The runtime and
// its libraries are not in the VM image (about 160 MB unpacked, mostly LLVM): set-up fetches them
// into Berth's cache (wasm-fetch.ts), turning the feature on copies them onto the data disk once
// per build, and each boot with the feature on links them in (wasm-guest.sh). Off: nothing at boot.
import { downloadsDir } from '../image/locate.ts';
import { imageDir } from '../image/locate.ts';
import path from 'node:path';
import { berthPath } from '../shared/berth-root.ts';
import { cachedPayload, ensureOnDataDisk, runGuestScript, type GuestRunner, type Payload } from './feature-payload.ts';

/** The name `docker run --runtime=` takes, as in Docker Desktop's docs for its Wasm runtimes. */
export const WASM_RUNTIME = 'wasm';
/** crun picks its handler from argv[0] (`crun-<handler>`): this name forces `wasm`. */
export const WASM_BINARY = '/usr/local/bin/crun-wasm';
export const WASM_MANIFEST = 'berth-wasm.json';

export interface WasmManifest {
  crun: string;
  wasmedge: string;
  suite: string;
  /** The image whose dpkg status decided which libraries were needed. */
  image: string;
  packages: Array<{ name: string; bytes: number }>;
  unpackedBytes: number;
  fetchedAt: string;
}
export type WasmPayload = Payload<WasmManifest>;

function acceptFor(image: string) {
  return (m: unknown): WasmManifest | null => {
    const w = m as Partial<WasmManifest> | null;
    return w && typeof w.crun === 'string' && w.image === image && Array.isArray(w.packages)
      ? (w as WasmManifest)
      : null;
  };
}

/** The payload set-up fetched for this VM image, or null. */
export function cachedWasm(downloads = downloadsDir()): WasmPayload | null {
  return cachedPayload('wasm', WASM_MANIFEST, acceptFor(path.basename(imageDir())), downloads);
}

/** dockerd's runtimes entry: a runc-compatible binary under containerd's runc v2 shim. */
export function wasmRuntimeEntry(): { runtimeType: string; options: { BinaryName: string } } {
  return { runtimeType: 'io.containerd.runc.v2', options: { BinaryName: WASM_BINARY } };
}

/**
 * Sets the VM's side to `on`: the payload on the data disk (copied once per build) and crun-wasm
 * linked in; or removed. The runtimes entry is the caller's: it goes into the daemon.json applied
 * right after (featureDaemonKeys).
 */
export async function applyWasm(
  guest: GuestRunner,
  on: boolean,
  payload: WasmPayload | null = cachedWasm(),
): Promise<void> {
  if (on && payload) await ensureOnDataDisk(guest, payload.dir, WASM_MANIFEST, 'wasm');
  try {
    await runGuestScript(guest, berthPath('engine', 'host', 'wasm-guest.sh'), [on ? 'on' : 'off'], {
      timeoutMs: 180_000,
    });
  } catch (e) {
    // Without a payload for this image (a new image, set-up not run since) the data disk's copy
    // of an earlier one still serves; only when there is none either is set-up the answer.
    if (!on || payload) throw e;
    throw new Error(
      `Wasm containers need trixie's crun and WasmEdge, which set-up fetches (scripts/setup.sh; by hand: node bin/run-ts.js engine/host/wasm-fetch-cli.ts): ${(e as Error).message}`,
    );
  }
}
