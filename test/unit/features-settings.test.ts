// The Features section's contract: feature switches need the containerd store (clear errors naming
// the key and the fix), apply as an engine restart with the feature's daemon.json key over the
// user's, and the snapshotter's config follows the user's insecure registries.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DataDir } from '../../engine/host/paths.ts';
import { featureDaemonKeys, anyFeatureOn } from '../../engine/host/features.ts';
import { insecureRegistries, stargzConfig } from '../../engine/host/lazy-pulling.ts';
import { SettingsService, SettingsValidationError } from '../../electron/node-host/settings/service.ts';
import type { EnginePort } from '../../electron/node-host/settings/engine-port.ts';
import { validateValue } from '../../electron/node-host/settings/validate.ts';
import { flattenPatch, settingsFromCli } from '../../electron/node-host/settings/patch.ts';
import { migrate, v3ToV4 } from '../../electron/node-host/settings/migrations.ts';
import { SettingsFileSchema } from '../../electron/node-host/settings/schema.ts';

type Cfg = Parameters<EnginePort['applyEngineConfig']>[0];

class Port implements EnginePort {
  applied: Cfg[] = [];
  isRunning(): boolean {
    return true;
  }
  async applyEngineConfig(cfg: Cfg): Promise<void> {
    this.applied.push(cfg);
  }
  async restartVm(): Promise<void> {
    throw new Error('a feature must not restart the VM');
  }
  async wipeEngineData(): Promise<void> {}
}

function service(): { svc: SettingsService; port: Port } {
  const data = new DataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-features-')));
  const port = new Port();
  return {
    svc: new SettingsService(data, port, {
      limits: { maxCpus: 4, maxMemoryMiB: 8192 },
      adminFile: path.join(data.root, 'none.json'),
    }),
    port,
  };
}

test('a feature switch is a boolean, with a message naming the key', () => {
  assert.equal(validateValue('features.lazyPulling', true), null);
  assert.match(
    validateValue('features.lazyPulling', 'yes') ?? '',
    /^features\.lazyPulling must be true or false; got "yes"/,
  );
});

test('lazy pulling applies as an engine restart carrying the feature', async () => {
  const { svc, port } = service();
  const p = svc.propose({ features: { lazyPulling: true } });
  assert.deepEqual(p.errors, []);
  assert.equal(p.restart, 'engine');
  await svc.apply({ features: { lazyPulling: true } });
  assert.deepEqual(port.applied.at(-1)?.features, { lazyPulling: true, wasm: false });
  assert.equal(svc.get().features.lazyPulling, true);
});

test('the classic store cannot have a feature: refused, with why and the fix', async () => {
  const { svc } = service();
  const onClassic = svc.propose({ useContainerdSnapshotter: false, features: { lazyPulling: true } });
  assert.equal(onClassic.errors.length, 1);
  assert.equal(onClassic.errors[0]?.key, 'features.lazyPulling');
  assert.match(
    onClassic.errors[0]?.message ?? '',
    /needs the containerd image store.*driver not supported: stargz.*Turn features\.lazyPulling off/,
  );
  await svc.apply({ features: { lazyPulling: true } });
  // Switching to classic while a feature is on is refused too, not silently dropped.
  await assert.rejects(
    svc.apply({ useContainerdSnapshotter: false }),
    (e: unknown) => e instanceof SettingsValidationError && /features\.lazyPulling needs/.test(e.message),
  );
  assert.equal(svc.get().useContainerdSnapshotter, true);
});

test('the CLI takes dotted feature keys', () => {
  assert.equal(flattenPatch(settingsFromCli(['features.lazyPulling=true'])).values.get('features.lazyPulling'), true);
});

test('daemon.json: storage-driver stargz over the user keys, nothing when off', () => {
  assert.deepEqual(featureDaemonKeys({ debug: true }, { lazyPulling: true }), {
    debug: true,
    'storage-driver': 'stargz',
  });
  assert.deepEqual(featureDaemonKeys({ debug: true }, { lazyPulling: false }), { debug: true });
  assert.equal(anyFeatureOn({ lazyPulling: false, wasm: false }), false);
});

test("the snapshotter reaches the user's plain-HTTP registries over HTTP", () => {
  const regs = insecureRegistries({ 'insecure-registries': ['10.0.2.2:5000', 42, 'bad"host'] });
  assert.deepEqual(regs, ['10.0.2.2:5000', 'bad"host']);
  const toml = stargzConfig(regs);
  assert.match(toml, /\[\[resolver\.host\."10\.0\.2\.2:5000"\.mirrors\]\]\nhost = "10\.0\.2\.2:5000"\ninsecure = true/);
  assert.doesNotMatch(toml, /bad/);
  assert.match(toml, /no_background_fetch = true/);
});

test('settings version 3 -> 4: the features arrive off, a value already there is kept, the result is a current file', () => {
  const v3 = {
    schemaVersion: 3,
    useContainerdSnapshotter: true,
    dockerEngine: {},
    vm: { cpus: 2, memoryMiB: 2048, diskGiB: 64 },
    accelerator: 'auto',
    fileSharing: [],
  };
  const { value, from } = migrate(structuredClone(v3));
  assert.equal(from, 3);
  assert.deepEqual(value.features, { lazyPulling: false, wasm: false });
  assert.ok(SettingsFileSchema.safeParse(value).success, 'valid at version 4');
  assert.deepEqual(v3ToV4({ ...v3, features: { wasm: true } }).features, { lazyPulling: false, wasm: true });
});
