// Wasm containers without a VM: the runtime joins the user's daemon.json keys, and set-up reads
// apt's simulated install for what the VM image lacks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { featureDaemonKeys } from '../../engine/host/features.ts';
import { WASM_BINARY } from '../../engine/host/wasm-feature.ts';
import { simulatedInstalls } from '../../engine/host/wasm-fetch.ts';

describe('features.wasm', () => {
  const wasm = { runtimeType: 'io.containerd.runc.v2', options: { BinaryName: WASM_BINARY } };

  it('adds the wasm runtime beside the user\'s own runtimes and keys', () => {
    const user = { debug: true, runtimes: { mine: { path: '/usr/bin/runc' } } };
    assert.deepEqual(featureDaemonKeys(user, { wasm: true }), { debug: true, runtimes: { mine: { path: '/usr/bin/runc' }, wasm } });
    assert.deepEqual(user.runtimes, { mine: { path: '/usr/bin/runc' } }, 'the user\'s object is not changed');
  });

  it('adds nothing while off, and a user entry named wasm gives way while on', () => {
    const user = { runtimes: { wasm: { path: '/bin/false' } } };
    assert.deepEqual(featureDaemonKeys(user, { wasm: false }), user);
    assert.deepEqual(featureDaemonKeys(user, { wasm: true }), { runtimes: { wasm } });
    assert.deepEqual(featureDaemonKeys({}, undefined), {});
  });

  it('reads the packages apt would unpack from its simulation', () => {
    const out = ['NOTE: This is only a simulation!', 'Inst libyajl2 (2.1.0-5+b2 Debian:13.2/stable [amd64])',
      'Inst crun (1.21-1 Debian:13.2/stable [amd64])', 'Inst libc6 [2.41-11] (2.41-12 Debian:13.2/stable [amd64])',
      'Conf crun (1.21-1 Debian:13.2/stable [amd64])'].join('\n');
    assert.deepEqual(simulatedInstalls(out), [{ name: 'libyajl2', version: '2.1.0-5+b2' }, { name: 'crun', version: '1.21-1' },
      { name: 'libc6', version: '2.41-12' }]);
  });
});
