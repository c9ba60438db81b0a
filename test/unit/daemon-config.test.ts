import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { normalizeRef } from '../../engine/agent/image-ref.ts';
import {
  parseDaemonJson,
  serialize,
  storeFromConfig,
  withStore,
  withUserKeys,
} from '../../engine/agent/daemon-config.ts';

describe('daemon.json store toggle', () => {
  it('sets features.containerd-snapshotter and keeps every other key', () => {
    const cfg = parseDaemonJson('{"debug":true,"features":{"buildkit":true},"registry-mirrors":["x"]}');
    const next = withStore(cfg, 'containerd');
    assert.deepEqual(next, {
      debug: true,
      features: { buildkit: true, 'containerd-snapshotter': true },
      'registry-mirrors': ['x'],
    });
    assert.equal(storeFromConfig(next), 'containerd');
    assert.equal(storeFromConfig(withStore(next, 'classic')), 'classic');
    assert.deepEqual(cfg, { debug: true, features: { buildkit: true }, 'registry-mirrors': ['x'] }, 'input untouched');
  });

  it('reads a missing key or file as the classic store (dockerd 26 default)', () => {
    assert.equal(storeFromConfig(parseDaemonJson('')), 'classic');
    assert.equal(storeFromConfig(parseDaemonJson('{"features":{}}')), 'classic');
  });

  it("replaces the user keys over Berth's defaults but keeps the toggle", () => {
    const cfg = withStore({ debug: true }, 'containerd');
    const next = withUserKeys(cfg, { 'insecure-registries': ['10.0.2.2:5000'] });
    assert.deepEqual(next, {
      iptables: false,
      ip6tables: false,
      'insecure-registries': ['10.0.2.2:5000'],
      features: { 'containerd-snapshotter': true },
    });
    assert.equal(withUserKeys(cfg, { iptables: true }).iptables, true, "the user's key wins over Berth's default");
  });

  it('refuses the toggle key among user keys, and non-objects', () => {
    assert.throws(
      () => withUserKeys({}, { features: { 'containerd-snapshotter': false } }),
      /belongs to the image store toggle/,
    );
    assert.throws(() => parseDaemonJson('[1]'), /JSON object/);
    assert.throws(() => parseDaemonJson('{oops'));
  });

  it("the image's own daemon.json (a fresh disk without host settings) is Berth's defaults on the containerd store", () => {
    const file = fs.readFileSync(
      new URL('../../engine/image/rootfs/usr/share/berth/daemon.json', import.meta.url),
      'utf8',
    );
    assert.deepEqual(parseDaemonJson(file), withUserKeys(withStore({}, 'containerd'), {}));
  });

  it('serializes with a trailing newline', () => {
    assert.equal(serialize({ a: 1 }), '{\n  "a": 1\n}\n');
  });
});

describe('image reference normalization', () => {
  it('names classic refs the way the containerd store does', () => {
    assert.equal(normalizeRef('busybox:1'), 'docker.io/library/busybox:1');
    assert.equal(normalizeRef('berth-test/a:1'), 'docker.io/berth-test/a:1');
    assert.equal(normalizeRef('10.0.2.2:5000/mp:1'), '10.0.2.2:5000/mp:1');
    assert.equal(normalizeRef('localhost/x:1'), 'localhost/x:1');
    assert.equal(normalizeRef('ghcr.io/o/r:t'), 'ghcr.io/o/r:t');
  });
});
