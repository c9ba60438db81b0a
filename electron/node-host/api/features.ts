// The Features section's words, shared by the settings checks, the CLI and the dashboard
// (browser-safe). Each feature is something only the containerd image store can do.
import type { Settings } from './settings-schema.ts';

export type FeatureName = keyof Settings['features'] & string;
export type FeatureKey = `features.${FeatureName}`;
export const FEATURE_NAMES: readonly FeatureName[] = ['lazyPulling', 'wasm'];

/**
 * Why the classic store cannot have each feature, in Docker's words where Docker has some: on the
 * classic store dockerd takes "storage-driver" as a graph driver and refuses to start.
 */
export const CLASSIC_STORE_REASON: Readonly<Record<FeatureKey, string>> = {
  'features.lazyPulling':
    'lazy pulling is a containerd snapshotter (stargz); on the classic image store dockerd would refuse it as a graph driver ("error initializing graphdriver: driver not supported: stargz")',
  'features.wasm':
    'Wasm images (platform wasi/wasm) are image indexes run by a containerd runtime; the classic image store keeps neither',
};

/** Why a feature cannot be turned on in this Berth at all (none today). */
export const UNAVAILABLE: Readonly<Partial<Record<FeatureKey, string>>> = {};

/** What turning each one on or off does, for the dashboard and `berth settings`. */
export const FEATURE_EXPLAIN: Readonly<Record<FeatureKey, string>> = {
  'features.lazyPulling':
    'docker run starts eStargz images before their layers are downloaded: the stargz snapshotter fetches each file when the container first reads it. Other images pull as before. Turning it off keeps the images it pulled listed, but an image that was pulled lazily must be pulled again (Apply says which).',
  'features.wasm':
    'docker run --runtime=wasm --platform=wasi/wasm runs WASI modules (crun with WasmEdge, about 170 MB on the data disk while on). Turning it off removes the runtime; Wasm images stay.',
};
