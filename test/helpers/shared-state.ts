// What a test file must leave as it found on the shared engine: the settings, the active image
// store and what docker lists. dispose() puts changed settings back in one Apply & Restart, then
// fails the file if anything still differs, so the next file never inherits another's leftovers.
import assert from 'node:assert/strict';
import { SETTING_KEYS, getKey, type Settings } from '../../electron/node-host/api/settings-schema.ts';
import { runCli, type BerthEnv } from './berth-env.ts';

export interface EngineState {
  settings: Settings;
  containerdStore: boolean;
  images: string[];
  containers: string[];
  networks: string[];
  volumes: string[];
}

async function settingsOf(env: BerthEnv): Promise<Settings> {
  const r = await runCli(env.env, ['settings', 'get'], 120_000);
  assert.equal(r.code, 0, `berth settings get: ${r.stderr}`);
  return JSON.parse(r.stdout) as Settings;
}

export async function captureState(env: BerthEnv): Promise<EngineState> {
  const docker = env.docker();
  const [settings, info, images, containers, networks, volumes] = await Promise.all([
    settingsOf(env),
    docker.info(),
    docker.listImages({ all: true }),
    docker.listContainers({ all: true }),
    docker.listNetworks(),
    docker.listVolumes(),
  ]);
  const driverStatus = (info.DriverStatus ?? []) as Array<[string, string]>;
  return {
    settings,
    containerdStore: driverStatus.some(([k, v]) => k === 'driver-type' && v === 'io.containerd.snapshotter.v1'),
    images: images.map((i) => `${i.Id} ${(i.RepoTags ?? []).join(',')}`).sort(),
    containers: containers.map((c) => c.Names.join(',')).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** The settings keys that differ, as `berth settings set` arguments. */
export function settingsPatch(found: Settings, now: Settings): string[] {
  return SETTING_KEYS.filter((k) => JSON.stringify(getKey(found, k)) !== JSON.stringify(getKey(now, k))).map(
    (k) => `${k}=${JSON.stringify(getKey(found, k))}`,
  );
}

export async function restoreState(env: BerthEnv, found: EngineState): Promise<void> {
  const patch = settingsPatch(found.settings, await settingsOf(env));
  if (patch.length) {
    const r = await runCli(env.env, ['settings', 'set', ...patch]);
    assert.equal(r.code, 0, `putting the shared engine's settings back (${patch.join(' ')}): ${r.stdout}${r.stderr}`);
  }
  // A settings file that already matched (a reset done in the guest) may leave the store behind.
  let now = await captureState(env);
  if (now.containerdStore !== found.containerdStore) {
    const r = await runCli(env.env, ['store', 'use', found.containerdStore ? 'containerd' : 'classic']);
    assert.equal(r.code, 0, `putting the shared engine's image store back: ${r.stderr}`);
    now = await captureState(env);
  }
  assert.deepEqual(now, found, 'this file must leave the shared engine as it found it (remove what it created)');
}
