// Pull and push progress folded from the engine's JSON messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TransferTracker } from '../../electron/node-host/services/transfer-progress.ts';

describe('transfer progress', () => {
  it('computes the percentage over announced layer sizes and finishes at 100', () => {
    const t = new TransferTracker('op', 'pull', 'busybox:latest');
    t.update({ status: 'Pulling from library/busybox', id: 'latest' });
    t.update({ status: 'Pulling fs layer', id: 'a', progressDetail: {} });
    t.update({ status: 'Pulling fs layer', id: 'b', progressDetail: {} });
    assert.equal(t.snapshot().percent, null, 'no size known yet');
    t.update({ status: 'Downloading', id: 'a', progressDetail: { current: 250, total: 1000 } });
    let p = t.update({ status: 'Downloading', id: 'b', progressDetail: { current: 0, total: 1000 } });
    assert.equal(p.percent, 12.5);
    assert.equal(p.layers.length, 2, 'the "Pulling from" line is not a layer');
    p = t.update({ status: 'Download complete', id: 'a' });
    assert.equal(p.percent, 50);
    p = t.update({ status: 'Extracting', id: 'a', progressDetail: { current: 10, total: 5000 } });
    assert.equal(p.percent, 50, 'extract counters do not count as transfer');
    t.update({ status: 'Pull complete', id: 'b' });
    t.update({ status: 'Digest: sha256:abc' });
    p = t.finish();
    assert.equal(p.percent, 100);
    assert.equal(p.done, true);
    assert.equal(p.error, undefined);
  });

  it('keeps the engine error message', () => {
    const t = new TransferTracker('op', 'push', 'x:1');
    t.update({ errorDetail: { message: 'denied: requested access to the resource is denied' }, error: 'denied' });
    const p = t.finish();
    assert.equal(p.error, 'denied: requested access to the resource is denied');
    assert.equal(t.failed, p.error);
  });

  it('treats already existing layers as transferred', () => {
    const t = new TransferTracker('op', 'push', 'x:1');
    t.update({ status: 'Preparing', id: 'a' });
    const p = t.update({ status: 'Layer already exists', id: 'a' });
    assert.equal(p.percent, 100);
  });
});
