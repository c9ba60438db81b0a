// The contract validates every call's input and output, and the typed client rejects what the
// contract does not allow, on both sides.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calls, events, isCallName } from '../../electron/node-host/api/contract.ts';
import { ImageRefSchema, RunSpecSchema, withDefaultTag } from '../../electron/node-host/api/docker-types.ts';
import { checkDaemonJson } from '../../electron/node-host/api/daemon-json.ts';
import { ApiClient } from '../../electron/node-host/api/client.ts';
import type { ClientFrame } from '../../electron/node-host/api/wire.ts';

describe('dashboard contract', () => {
  it('has an input and output schema for every call and a schema for every event', () => {
    for (const [name, c] of Object.entries(calls)) {
      assert.ok(c.input.safeParse, `${name} input`);
      assert.ok(c.output.safeParse, `${name} output`);
    }
    assert.ok(Object.keys(events).includes('images.progress'));
    assert.equal(isCallName('images.pull'), true);
    assert.equal(isCallName('toString'), false, 'prototype keys are not calls');
  });

  it('rejects unknown fields and bad values in inputs', () => {
    assert.equal(calls['containers.start'].input.safeParse({ id: 'x', extra: 1 }).success, false);
    assert.equal(calls['images.remove'].input.safeParse({ id: 'x' }).success, false, 'force is required');
    assert.equal(calls['store.switch'].input.safeParse({ store: 'overlay2' }).success, false);
    assert.equal(
      calls['images.pull'].input.safeParse({ ref: 'Busybox', opId: '1' }).success,
      false,
      'uppercase repository',
    );
  });

  it('checks image references like the engine', () => {
    for (const ok of [
      'busybox',
      'busybox:1.36',
      '127.0.0.1:5000/e2e/busybox:1',
      'ghcr.io/a/b-c_d:v1.2',
      `a@sha256:${'0'.repeat(64)}`,
    ]) {
      assert.equal(ImageRefSchema.safeParse(ok).success, true, ok);
    }
    for (const bad of ['', 'UPPER', 'a b', 'a:', 'a::b'])
      assert.equal(ImageRefSchema.safeParse(bad).success, false, bad);
    assert.equal(withDefaultTag('busybox'), 'busybox:latest');
    assert.equal(withDefaultTag('127.0.0.1:5000/x'), '127.0.0.1:5000/x:latest');
    assert.equal(withDefaultTag('127.0.0.1:5000/x:1'), '127.0.0.1:5000/x:1');
  });

  it('validates the Run dialog spec', () => {
    const good = {
      image: 'nginx',
      name: 'web',
      ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
      env: [{ name: 'A_B', value: 'x=y' }],
    };
    assert.equal(RunSpecSchema.safeParse(good).success, true);
    assert.equal(
      RunSpecSchema.safeParse({ ...good, ports: [{ hostPort: 70000, containerPort: 80, protocol: 'tcp' }] }).success,
      false,
    );
    assert.equal(RunSpecSchema.safeParse({ ...good, env: [{ name: '1A', value: '' }] }).success, false);
    assert.equal(RunSpecSchema.safeParse({ ...good, name: '-web' }).success, false);
  });

  it('validates daemon.json text and names the bad key', () => {
    assert.deepEqual(checkDaemonJson('{"debug": true, "insecure-registries": ["10.0.2.2:5000"]}'), {
      ok: true,
      value: { debug: true, 'insecure-registries': ['10.0.2.2:5000'] },
    });
    const bad = checkDaemonJson('{"debug": "yes"}');
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.errors[0]! : '', /^debug: /);
    assert.match(
      JSON.stringify(checkDaemonJson('{"features": {"containerd-snapshotter": false}}')),
      /Use containerd for pulling and storing images/,
    );
    assert.match(JSON.stringify(checkDaemonJson('{"hosts": ["tcp://0.0.0.0:2375"]}')), /managed by Berth/);
    assert.match(JSON.stringify(checkDaemonJson('{"debug": tru')), /not valid JSON/);
    assert.match(JSON.stringify(checkDaemonJson('[1]')), /must be a JSON object/);
  });

  it('the client validates inputs before sending and outputs and events on arrival', async () => {
    const sent: ClientFrame[] = [];
    let deliver: (f: unknown) => void = () => undefined;
    const client = new ApiClient({
      send: (f) => sent.push(f),
      onFrame: (h) => {
        deliver = h;
      },
    });
    await assert.rejects(client.call('containers.start', { id: '' }), /id/);
    assert.equal(sent.length, 0, 'an invalid call is not sent');

    const p = client.call('store.status', {});
    deliver({
      type: 'result',
      id: sent[0]!.id,
      output: { active: 'zfs', hidden: { images: 0, bytes: 0, containers: 0 } },
    });
    await assert.rejects(p, /unexpected answer to store.status/);

    const q = client.call('images.remove', { id: 'x', force: false });
    deliver({
      type: 'error',
      id: sent[1]!.id,
      error: { message: 'conflict: unable to delete x (must be forced) - image is being used by stopped container 1' },
    });
    await assert.rejects(q, /must be forced/);

    const seen: string[] = [];
    client.onEvent((e) => seen.push(e.name));
    deliver({ type: 'event', name: 'engine.status', data: { state: 'bogus' } });
    deliver({ type: 'event', name: 'nope', data: {} });
    deliver({ type: 'event', name: 'settings.progress', data: { message: 'Restarting the Docker Engine.' } });
    assert.deepEqual(seen, ['settings.progress']);
  });
});
