// daemon.json handling: the store toggle owns features.containerd-snapshotter; every other key is
// the user's and is kept as written. Pure functions, so they are unit-tested on the host.
import { BERTH_DAEMON_DEFAULTS, SNAPSHOTTER_FEATURE } from '../shared/daemon-json-keys.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const STORE_KEY = SNAPSHOTTER_FEATURE;

export function parseDaemonJson(text: string): JsonObject {
  if (!text.trim()) return {};
  const v = JSON.parse(text) as Json;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('daemon.json must hold a JSON object');
  return v;
}

export function storeFromConfig(cfg: JsonObject): 'containerd' | 'classic' {
  const features = cfg.features;
  const on = features && typeof features === 'object' && !Array.isArray(features) ? features[STORE_KEY] : undefined;
  return on === true ? 'containerd' : 'classic';
}

/** The config with the store toggle set; every other key (and other features) untouched. */
export function withStore(cfg: JsonObject, store: 'containerd' | 'classic'): JsonObject {
  const features =
    cfg.features && typeof cfg.features === 'object' && !Array.isArray(cfg.features) ? { ...cfg.features } : {};
  features[STORE_KEY] = store === 'containerd';
  return { ...cfg, features };
}

/** Replaces the user's keys with `user` over Berth's defaults, keeping the store toggle as it is in `cfg`. */
export function withUserKeys(cfg: JsonObject, user: JsonObject): JsonObject {
  const store = storeFromConfig(cfg);
  const userFeatures = user.features;
  if (userFeatures && typeof userFeatures === 'object' && !Array.isArray(userFeatures) && STORE_KEY in userFeatures) {
    throw new Error(`features.${STORE_KEY} belongs to the image store toggle, not to the daemon.json keys`);
  }
  return withStore({ ...BERTH_DAEMON_DEFAULTS, ...user }, store);
}

export function serialize(cfg: JsonObject): string {
  return JSON.stringify(cfg, null, 2) + '\n';
}
