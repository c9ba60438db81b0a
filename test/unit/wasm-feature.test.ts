// Wasm containers without a VM: the runtime joins the user's daemon.json keys, and set-up reads
// apt's simulated install for what the VM image lacks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecOptions } from '../../engine/host/guest-link.ts';
import { featureDaemonKeys } from '../../engine/host/features.ts';
import { applyWasm, WASM_BINARY, WASM_MANIFEST, type WasmManifest } from '../../engine/host/wasm-feature.ts';
import { simulatedInstalls } from '../../engine/host/wasm-fetch.ts';

describe('features.wasm', () => {
  const wasm = { runtimeType: 'io.containerd.runc.v2', options: { BinaryName: WASM_BINARY } };

  it("adds the wasm runtime beside the user's own runtimes and keys", () => {
    const user = { debug: true, runtimes: { mine: { path: '/usr/bin/runc' } } };
    assert.deepEqual(featureDaemonKeys(user, { wasm: true }), {
      debug: true,
      runtimes: { mine: { path: '/usr/bin/runc' }, wasm },
    });
    assert.deepEqual(user.runtimes, { mine: { path: '/usr/bin/runc' } }, "the user's object is not changed");
  });

  it('adds nothing while off, and a user entry named wasm gives way while on', () => {
    const user = { runtimes: { wasm: { path: '/bin/false' } } };
    assert.deepEqual(featureDaemonKeys(user, { wasm: false }), user);
    assert.deepEqual(featureDaemonKeys(user, { wasm: true }), { runtimes: { wasm } });
    assert.deepEqual(featureDaemonKeys({}, undefined), {});
  });

  it('reads the packages apt would unpack from its simulation', () => {
    const out = [
      'NOTE: This is only a simulation!',
      'Inst libyajl2 (2.1.0-5+b2 Debian:13.2/stable [amd64])',
      'Inst crun (1.21-1 Debian:13.2/stable [amd64])',
      'Inst libc6 [2.41-11] (2.41-12 Debian:13.2/stable [amd64])',
      'Conf crun (1.21-1 Debian:13.2/stable [amd64])',
    ].join('\n');
    assert.deepEqual(simulatedInstalls(out), [
      { name: 'libyajl2', version: '2.1.0-5+b2' },
      { name: 'crun', version: '1.21-1' },
      { name: 'libc6', version: '2.41-12' },
    ]);
  });

  /** A guest that answers `cat` of the data disk's manifest with `there` and fails the script when `scriptFails`. */
  const fakeGuest = (there: string, scriptFails = false) => {
    const calls: Array<{ command: string; stdin: boolean }> = [];
    return {
      calls,
      run: async (command: string, opts?: ExecOptions): Promise<string> => {
        calls.push({ command, stdin: opts?.stdin !== undefined && opts.stdin.length > 0 });
        if (command.startsWith('cat /mnt/data/berth-features/wasm/')) return there;
        if (scriptFails && command.includes('wasm-guest.sh'))
          throw new Error('the Wasm runtime is not on the data disk');
        return '';
      },
    };
  };
  const payload = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-wasm-unit-'));
    fs.mkdirSync(path.join(dir, 'usr', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'usr', 'bin', 'crun'), 'crun');
    const manifest: WasmManifest = {
      crun: '1.21-1',
      wasmedge: '0.14.1',
      suite: 'trixie',
      image: 'x',
      packages: [],
      unpackedBytes: 4,
      fetchedAt: 'now',
    };
    fs.writeFileSync(path.join(dir, WASM_MANIFEST), `${JSON.stringify(manifest)}\n`);
    return { dir, manifest };
  };

  it('copies the payload onto the data disk once per build, then links it in', async () => {
    const p = payload();
    const fresh = fakeGuest('');
    await applyWasm(fresh, true, p);
    assert.deepEqual(
      fresh.calls.map((c) => c.stdin),
      [false, true, false],
      'cat, the copy with the archive on stdin, the script',
    );
    const same = fakeGuest(fs.readFileSync(path.join(p.dir, WASM_MANIFEST), 'utf8'));
    await applyWasm(same, true, p);
    assert.equal(same.calls.length, 2, 'the same build on the disk: no copy');
    assert.match(same.calls[1]?.command ?? '', /wasm-guest\.sh' 'on'$/);
    fs.rmSync(p.dir, { recursive: true, force: true });
  });

  it("without a payload, uses the data disk's copy, or names set-up when there is none", async () => {
    const disk = fakeGuest('');
    await applyWasm(disk, true, null);
    assert.equal(disk.calls.length, 1, 'only the script');
    await assert.rejects(applyWasm(fakeGuest('', true), true, null), /set-up fetches.*not on the data disk/);
    const off = fakeGuest('');
    await applyWasm(off, false, null);
    assert.match(off.calls[0]?.command ?? '', /wasm-guest\.sh' 'off'$/);
  });
});
