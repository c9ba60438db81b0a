// The agent's events-stream registry: which relayed requests a dockerd restart ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { DockerStreams } from '../../engine/agent/docker-streams.ts';

class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

const relayed = (streams: DockerStreams, head: string): FakeSocket => {
  const request = new PassThrough();
  const sock = new FakeSocket();
  streams.watch(request, sock);
  request.write(head);
  return sock;
};

describe('docker streams (agent)', () => {
  it('ends events streams, with or without the API version, when dockerd restarts', async () => {
    const streams = new DockerStreams();
    const plain = relayed(streams, 'GET /events HTTP/1.1\r\nHost: docker\r\n\r\n');
    const versioned = relayed(streams, 'GET /v1.51/events?filters=%7B%7D HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n');
    const other = relayed(streams, 'GET /v1.51/containers/json HTTP/1.1\r\n\r\n');
    const lookalike = relayed(streams, 'GET /v1.51/events-archive HTTP/1.1\r\n\r\n');
    assert.equal(streams.open, 2);
    let restarted = false;
    await streams.duringRestart(async () => {
      assert.ok(plain.destroyed && versioned.destroyed, 'ended before the restart runs');
      restarted = true;
    });
    assert.ok(restarted);
    assert.ok(!other.destroyed, 'other requests are left to dockerd');
    assert.ok(!lookalike.destroyed);
    assert.equal(streams.open, 0);
  });

  it('ends an events stream that subscribes while dockerd restarts, and none after', async () => {
    const streams = new DockerStreams();
    let during: FakeSocket | null = null;
    await streams.duringRestart(async () => {
      during = relayed(streams, 'GET /v1.51/events HTTP/1.1\r\n\r\n');
    });
    assert.ok((during as FakeSocket | null)?.destroyed);
    const after = relayed(streams, 'GET /v1.51/events HTTP/1.1\r\n\r\n');
    assert.ok(!after.destroyed);
    assert.equal(streams.open, 1);
  });

  it('forgets a stream its client closed, and ends streams even when the restart fails', async () => {
    const streams = new DockerStreams();
    relayed(streams, 'GET /events HTTP/1.1\r\n\r\n').destroy();
    assert.equal(streams.open, 0);
    const open = relayed(streams, 'GET /events HTTP/1.1\r\n\r\n');
    await assert.rejects(
      streams.duringRestart(async () => {
        throw new Error('dockerd failed');
      }),
      /dockerd failed/,
    );
    assert.ok(open.destroyed);
    const later = relayed(streams, 'GET /events HTTP/1.1\r\n\r\n');
    assert.ok(!later.destroyed, 'no restart is running any more');
  });
});
