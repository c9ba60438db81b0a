// eStargz lazy pulling (features.lazyPulling): the stargz snapshotter (containerd-stargz-grpc) as
// containerd's proxy plugin, and dockerd's storage-driver "stargz" on the containerd image store.
// The binary is not in the VM image (which must stay small): set-up builds it into Berth's cache
// (stargz-build.ts), turning the feature on copies it onto the data disk once per build
// (feature-payload.ts), and each boot with the feature on starts it (stargz-guest.sh).
import path from 'node:path';
import { downloadsDir } from '../image/locate.ts';
import { berthPath } from '../shared/berth-root.ts';
import { cachedPayload, ensureOnDataDisk, runGuestScript, type GuestRunner, type Payload } from './feature-payload.ts';

/** dockerd's storage-driver with the containerd snapshotter feature: the proxy plugin's name. */
export const STARGZ_SNAPSHOTTER = 'stargz';
/** The snapshotter's state and cache in the VM (a bind of the data disk's containerd-stargz-grpc). */
export const STARGZ_CACHE_DIR = '/var/lib/containerd-stargz-grpc';
/** The package's eStargz converter, copied beside the snapshotter (README: building eStargz images). */
export const CONVERTER = 'ctr-remote';
/** Written last into the cache's build directory: its presence means the build is whole. */
export const STARGZ_MANIFEST = 'berth-stargz.json';

export interface StargzManifest {
  version: string;
  suite: string;
  go: string;
  converter?: string;
  builtAt: string;
}
export type StargzBuild = Payload<StargzManifest>;

/** The newest whole build in the downloads cache, or null (set-up has not built it). */
export function cachedStargz(downloads = downloadsDir()): StargzBuild | null {
  return cachedPayload(
    'stargz',
    STARGZ_MANIFEST,
    (m) => {
      const s = m as Partial<StargzManifest> | null;
      return s && typeof s.version === 'string' ? (s as StargzManifest) : null;
    },
    downloads,
  );
}

/**
 * containerd-stargz-grpc's config. Registries the user allows over plain HTTP (daemon.json's
 * insecure-registries) are reached the same way by the snapshotter, which has a resolver of its
 * own. Background fetching is off: under emulation it competes with the container for the VM's
 * CPUs and the registry link, and the layers are fetched on demand anyway.
 */
export function stargzConfig(insecureRegistries: readonly string[]): string {
  const hosts = insecureRegistries
    .filter((h) => /^[A-Za-z0-9.-]+(:\d+)?$/.test(h))
    .flatMap((h) => [`[[resolver.host."${h}".mirrors]]`, `host = "${h}"`, 'insecure = true', '']);
  return ['# Written by Berth (features.lazyPulling).', 'no_background_fetch = true', '', ...hosts].join('\n');
}

/** The user's insecure-registries, read defensively (the daemon.json keys are the user's). */
export function insecureRegistries(dockerEngine: Readonly<Record<string, unknown>>): string[] {
  const v = dockerEngine['insecure-registries'];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Whether the snapshotter runs in the VM now (it was on before this apply). */
export async function stargzRuns(guest: GuestRunner): Promise<boolean> {
  return (await guest.run('systemctl -q is-active berth-stargz.service && echo on || true')).trim() === 'on';
}

/**
 * Images that cannot run once lazy pulling is off: their layers were never all fetched into
 * containerd's content store (ctr's "incomplete"), so the default snapshotter cannot unpack them.
 */
export async function lazilyPulledImages(guest: GuestRunner): Promise<string[]> {
  const out = await guest.run('ctr -n moby images check 2>/dev/null || true');
  return out
    .split('\n')
    .slice(1)
    .filter((l) => /\bincomplete\b/.test(l))
    .map((l) => l.split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/**
 * Sets the VM's side of the feature to `on` (binary, config, snapshotter, containerd's proxy
 * plugin; containerd restarts when its config changes). dockerd's storage-driver goes into the
 * daemon.json applied right after (features.ts). Returns what the user must be told.
 */
export async function applyLazyPulling(
  guest: GuestRunner,
  on: boolean,
  dockerEngine: Readonly<Record<string, unknown>>,
  build: StargzBuild | null = cachedStargz(),
): Promise<string[]> {
  const script = berthPath('engine', 'host', 'stargz-guest.sh');
  if (on) {
    if (!build)
      throw new Error(
        'lazy pulling needs containerd-stargz-grpc, which set-up builds (scripts/setup.sh; by hand: node bin/run-ts.js engine/host/stargz-build-cli.ts)',
      );
    await ensureOnDataDisk(guest, build.dir, STARGZ_MANIFEST, path.basename(STARGZ_DIR_ON_DISK));
    await runGuestScript(guest, script, ['on'], {
      stdin: stargzConfig(insecureRegistries(dockerEngine)),
      timeoutMs: 180_000,
    });
    return [];
  }
  if (!(await stargzRuns(guest))) return [];
  const lazy = await lazilyPulledImages(guest);
  await runGuestScript(guest, script, ['off'], { stdin: '', timeoutMs: 180_000 });
  return lazy.length
    ? [
        `Lazy pulling is off: these images were pulled lazily and must be pulled again before they run: ${lazy.join(', ')}.`,
      ]
    : [];
}

/** Where the build lands in the VM (FEATURES_ON_DISK/stargz); stargz-guest.sh uses the same path. */
export const STARGZ_DIR_ON_DISK = '/mnt/data/berth-features/stargz';
