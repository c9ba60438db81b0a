// The Features settings' engine side, one place for every feature: what each adds to daemon.json
// (over the user's own keys, which are kept) and its VM side, applied on an Apply & Restart and at
// each boot with the feature on (the VM's root disk is thrown away at every boot).
import { applyLazyPulling, STARGZ_SNAPSHOTTER } from './lazy-pulling.ts';
import type { GuestRunner } from './feature-payload.ts';
import { applyWasm, WASM_RUNTIME, wasmRuntimeEntry } from './wasm-feature.ts';

/** The settings' `features` object, as the engine sees it (a missing switch is off). */
export interface FeatureSwitches {
  lazyPulling?: boolean;
  wasm?: boolean;
}

/**
 * The user's daemon.json keys with the features' keys merged in. Lazy pulling: dockerd's
 * storage-driver names the snapshotter (with the containerd store, a snapshotter, not a graph
 * driver); the feature's value wins over a user's own storage-driver, since it was asked for.
 */
export function featureDaemonKeys(
  user: Readonly<Record<string, unknown>>,
  f: FeatureSwitches | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...user };
  if (f?.lazyPulling) out['storage-driver'] = STARGZ_SNAPSHOTTER;
  // Wasm: its runtime joins the user's own `runtimes` (a user entry named `wasm` gives way).
  if (f?.wasm) out.runtimes = { ...(isObject(user.runtimes) ? user.runtimes : {}), [WASM_RUNTIME]: wasmRuntimeEntry() };
  return out;
}

/** Whether a boot needs the guest link for the features (none on: it is not asked for). */
export function anyFeatureOn(f: FeatureSwitches | undefined): boolean {
  return Boolean(f?.lazyPulling || f?.wasm);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Each feature's VM side set to its switch, before dockerd restarts with featureDaemonKeys.
 * Returns what the user must be told (images a feature turned off leaves unusable).
 */
export async function applyFeatures(
  guest: GuestRunner,
  f: FeatureSwitches | undefined,
  dockerEngine: Readonly<Record<string, unknown>>,
): Promise<string[]> {
  await applyWasm(guest, Boolean(f?.wasm));
  return applyLazyPulling(guest, Boolean(f?.lazyPulling), dockerEngine);
}

/** At boot only what is on: a feature that is off costs nothing then. */
export async function bootFeatures(
  guest: GuestRunner,
  f: FeatureSwitches | undefined,
  dockerEngine: Readonly<Record<string, unknown>>,
): Promise<string[]> {
  if (f?.wasm) await applyWasm(guest, true);
  return f?.lazyPulling ? applyLazyPulling(guest, true, dockerEngine) : [];
}
