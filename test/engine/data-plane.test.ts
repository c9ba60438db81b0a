// The data plane without SSH against the real VM (shared engine): many connections at once,
// a large save/load round trip byte for byte, published TCP and UDP ports that follow their
// container through docker stop and a store switch there and back, a UDP port published on
// 127.0.0.1, and the socket relaying like a socket (a closed `logs -f` client closes dockerd's
// end at once; a TTY's writes arrive as written).
//
// The file runs on the classic store: it keeps layers as plain tars, so the 200 MB round trip
// measures the transport rather than gzip under emulation (the containerd store compresses on
// commit and decompresses on save: about 4 minutes of a TCG guest's CPU for the same bytes). The
// conformance file covers save | load on the containerd store.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { BerthEnv, waitFor } from '../helpers/berth-env.ts';
import { buildScratch } from '../helpers/docker-ops.ts';
import { echoServerArgs, hostCommand, type Run } from '../helpers/endpoint-tools.ts';
import { freeTcpPort } from '../../engine/host/vm-files.ts';

const MIN = 60_000;
const IMG = 'berth-dp/busybox:1';

/** One TCP exchange: sends, half-closes, returns the whole reply (or the error code). */
function tcpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end(text));
    let got = '';
    s.on('data', (d) => {
      got += d;
    });
    s.on('end', () => resolve(got));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** One UDP datagram and its echo, or 'timeout'. */
function udpAsk(port: number, text: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const u = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      u.close();
      resolve('timeout');
    }, timeoutMs);
    u.on('message', (m) => {
      clearTimeout(timer);
      u.close();
      resolve(m.toString());
    });
    u.on('error', () => {
      clearTimeout(timer);
      u.close();
      resolve('error');
    });
    u.send(text, port, '127.0.0.1');
  });
}

describe('data plane without SSH (real VM)', { timeout: 30 * MIN }, () => {
  const env = new BerthEnv({ shared: true });
  let host: (cmd: string) => Promise<Run>;

  before(async () => {
    const r = await env.start();
    assert.equal(r.code, 0, r.stderr);
    host = hostCommand({ ...env.env, DOCKER_HOST: `unix://${env.data.dockerSocket}` });
    const sw = await env.cli(['store', 'use', 'classic']);
    assert.equal(sw.code, 0, sw.stderr);
    await buildScratch(env.docker(), IMG, 'data-plane');
    assert.equal((await env.status()).dataPlane, 'virtio-serial');
  });
  after(async () => {
    await host(
      'docker rm -f dp-echo dp-udp-lo dp-chatty dp-tty >/dev/null 2>&1; docker rmi berth-dp/big:1 berth-dp/big:copy >/dev/null 2>&1; docker rmi ' +
        IMG +
        ' >/dev/null 2>&1',
    ).catch(() => undefined);
    await env.dispose();
  });

  it('100 concurrent docker version calls all answer', async () => {
    const docker = env.docker();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        docker.version().then(
          (v) => v.ApiVersion,
          (e: Error) => `failed: ${e.message}`,
        ),
      ),
    );
    const failed = answers.filter((a) => a.startsWith('failed'));
    assert.deepEqual(failed, [], `${failed.length} of 100 failed`);
    // And the CLI, several at once.
    const cli = await Promise.all(
      Array.from({ length: 8 }, () => host("docker version --format '{{.Server.APIVersion}}'")),
    );
    assert.ok(
      cli.every((r) => r.code === 0 && r.stdout.trim() === answers[0]),
      JSON.stringify(cli.map((r) => r.stderr)),
    );
  });

  it('a 200 MB image survives docker save | docker load through the socket byte for byte', async () => {
    const build = await host(
      `docker run --name dp-big ${IMG} sh -c 'dd if=/dev/urandom of=/big bs=1M count=200 2>/dev/null' && docker commit dp-big berth-dp/big:1 >/dev/null && docker rm dp-big >/dev/null`,
    );
    assert.equal(build.code, 0, build.stderr);
    const before = await host(`docker image inspect --format '{{.Id}}' berth-dp/big:1`);
    // Out through the socket to a file on the host, the image removed, and back in.
    const round = await host(
      `set -e; f=$(mktemp); docker save berth-dp/big:1 -o "$f"; echo "bytes $(stat -c %s "$f")"; docker rmi berth-dp/big:1 >/dev/null; docker load -i "$f"; rm -f "$f"`,
    );
    assert.equal(round.code, 0, round.stderr);
    assert.ok(Number(/bytes (\d+)/.exec(round.stdout)?.[1]) > 200e6, round.stdout);
    assert.match(round.stdout, /Loaded image: berth-dp\/big:1/);
    const after = await host(`docker image inspect --format '{{.Id}}' berth-dp/big:1`);
    assert.equal(after.stdout.trim(), before.stdout.trim(), 'same image ID (config digest) after the round trip');
    await host('docker rmi berth-dp/big:1 >/dev/null');
  });

  it('TCP and UDP published ports answer, stop after docker stop, and come back after a store switch (restart policy)', async () => {
    const tcp = await freeTcpPort();
    const udp = await freeTcpPort();
    const run = await host(
      `docker run -d --name dp-echo --restart=always -p ${tcp}:9000 -p ${udp}:9001/udp ${echoServerArgs(IMG)}`,
    );
    assert.equal(run.code, 0, run.stderr);
    // The last answers, named in the failure: which port did not come back, and how.
    let last = '';
    const answering = async (): Promise<boolean | undefined> => {
      const t = await tcpAsk(tcp, 'hello');
      const u = t === '5\n' ? await udpAsk(udp, 'ping') : 'not asked';
      last = `tcp ${JSON.stringify(t)}, udp ${JSON.stringify(u)}`;
      return t === '5\n' && u === 'echo:ping' ? true : undefined;
    };
    const waitBoth = (what: string) =>
      waitFor(what, answering, 3 * MIN).catch((e: Error) => {
        throw new Error(`${e.message} (last: ${last})`);
      });
    await waitBoth('both ports');

    assert.equal((await host('docker stop -t 1 dp-echo')).code, 0);
    await waitFor(
      'the ports to go',
      async () => ((await env.status()).ports?.some((p) => p.container === 'dp-echo') ? undefined : true),
      MIN,
    );
    assert.equal(await tcpAsk(tcp, 'hello'), 'ECONNREFUSED');
    assert.equal(await udpAsk(udp, 'ping', 1500), 'timeout', 'no UDP forward left behind');
    assert.equal((await host('docker start dp-echo')).code, 0);
    await waitBoth('both ports again');

    // The other store hides the container (and its ports); back on this one, its restart policy
    // brings it up again, ports and all.
    for (const store of ['containerd', 'classic']) {
      const sw = await env.cli(['store', 'use', store]);
      assert.equal(sw.code, 0, sw.stderr);
      if (store === 'containerd') {
        await waitFor(
          "the hidden container's ports to go",
          async () => ((await env.status()).ports?.some((p) => p.container === 'dp-echo') ? undefined : true),
          MIN,
        );
        assert.equal(await tcpAsk(tcp, 'hello'), 'ECONNREFUSED');
      }
    }
    await waitBoth('both ports after the switch back');
  });
  it("a UDP port published on 127.0.0.1 echoes to the sender (a forward of the VM's network to its loopback redirect)", async () => {
    const udp = await freeTcpPort();
    const run = await host(`docker run -d --name dp-udp-lo -p 127.0.0.1:${udp}:9001/udp ${echoServerArgs(IMG)}`);
    assert.equal(run.code, 0, run.stderr);
    await waitFor(
      'the loopback UDP echo',
      async () => ((await udpAsk(udp, 'ping', 1500)) === 'echo:ping' ? true : undefined),
      3 * MIN,
    );
    // From a second socket too: each reply goes to its own sender.
    const [a, b] = await Promise.all([udpAsk(udp, 'one'), udpAsk(udp, 'two')]);
    assert.deepEqual([a, b], ['echo:one', 'echo:two']);
    assert.ok(!(await env.status()).portErrors?.some((e) => e.container === 'dp-udp-lo'), 'no port error reported');
    assert.equal((await host('docker rm -f dp-udp-lo')).code, 0);
  });

  it("a logs -f client that closes its connection has dockerd's end closed at once", async () => {
    const run = await host(`docker run -d --name dp-chatty ${IMG} sleep 600`);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    // dockerd's accepted connections on its socket, by inode, read inside the VM (over SSH, not the socket).
    const conns = async (): Promise<Set<string>> => {
      const r = await env.cli(['shell', `awk '$8 == "/run/docker.sock" && $6 == "03" {print $7}' /proc/net/unix`]);
      return new Set(
        r.stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => /^\d+$/.test(l)),
      );
    };
    // The host's own calls that follow a container's start (ports, file events) use keep-alive
    // connections that live a few seconds: the look starts once the set stands still, so a new
    // connection is the logs stream's.
    let before = await conns();
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const again = await conns();
      if ([...again].every((x) => before.has(x)) && again.size === before.size) break;
      before = again;
    }
    const c = net.connect({ path: env.data.dockerSocket, allowHalfOpen: true });
    c.on('error', () => undefined);
    await new Promise((r) => c.once('connect', r));
    // A container that writes nothing: only the close itself can end the stream.
    c.write(`GET /containers/${id}/logs?follow=1&stdout=1&tail=1 HTTP/1.1\r\nHost: docker\r\n\r\n`);
    await new Promise((r) => c.once('data', r));
    const open = [...(await conns())].filter((i) => !before.has(i));
    assert.ok(open.length >= 1, "the logs stream has a connection on dockerd's socket");
    c.destroy();
    // The next look (one SSH command, about a second under emulation) finds it gone.
    const now = await conns();
    assert.ok(
      open.every((i) => !now.has(i)),
      `dockerd still holds the closed client's stream (new before the close: ${open.join(', ')}; still there: ${open.filter((i) => now.has(i)).join(', ')})`,
    );
    assert.equal((await host('docker rm -f dp-chatty')).code, 0);
  });

  it("a TTY exec's writes arrive as the container writes them, not merged", async () => {
    const run = await host(`docker run -d --name dp-tty ${IMG} sleep 600`);
    assert.equal(run.code, 0, run.stderr);
    const docker = env.docker();
    const exec = await docker.getContainer('dp-tty').exec({
      Cmd: [
        '/bin/busybox',
        'sh',
        '-c',
        'printf "hello out"; /bin/busybox sleep 0.3; printf "\\n"; /bin/busybox sleep 0.3; printf "hello err\\n"',
      ],
      Tty: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
    const reads: string[] = [];
    stream.on('data', (d: Buffer) => reads.push(d.toString()));
    await new Promise((r) => stream.once('end', r));
    // The TTY turns each \n into \r\n.
    assert.deepEqual(reads, ['hello out', '\r\n', 'hello err\r\n']);
    await host('docker rm -f dp-tty >/dev/null');
  });
});
