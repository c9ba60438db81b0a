// Published ports: which host listeners a container needs, and the forwarder's lifecycle against
// a fake Docker API and a local server standing in for dockerd's proxy in the VM.
import { test } from 'node:test';
import { freeTcpPort } from '../../engine/host/vm-files.ts';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { hostAddressTargets } from '../../engine/host/port-host-address.ts';
import {
  PortForwarder,
  forwardsFor,
  guestTarget,
  hostListenAddress,
  type ContainerPorts,
  type ContainerSource,
  type PortError,
} from '../../engine/host/port-forwarder.ts';

function container(
  id: string,
  ports: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>,
  running = true,
): ContainerPorts {
  return { Id: id, Name: `/${id}-name`, State: { Running: running }, NetworkSettings: { Ports: ports } };
}

test('listen addresses: wildcards become the host loopback, a chosen loopback is kept', () => {
  assert.equal(hostListenAddress(''), '127.0.0.1');
  assert.equal(hostListenAddress('0.0.0.0'), '127.0.0.1');
  assert.equal(hostListenAddress('::'), '127.0.0.1');
  assert.equal(hostListenAddress('127.0.0.2'), '127.0.0.2');
  assert.equal(hostListenAddress('::1'), '::1');
  assert.equal(hostListenAddress('10.0.2.15'), '127.0.0.1', "the VM's own address means nothing on the host");
  assert.equal(guestTarget('0.0.0.0'), '127.0.0.1');
  assert.equal(guestTarget('::'), '::1');
  assert.equal(guestTarget('10.0.2.15'), '10.0.2.15');
});

test('forwardsFor: one forward per protocol, address and port; UDP to the VM address; running containers only', () => {
  const c = container('abc', {
    '80/tcp': [
      { HostIp: '0.0.0.0', HostPort: '8080' },
      { HostIp: '::', HostPort: '8080' },
    ],
    '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '8443' }],
    '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
    '9000/tcp': null,
  });
  const specs = forwardsFor(c)
    .map(
      (s) =>
        `${s.protocol} ${s.hostIp}:${s.hostPort}->${s.guestHost} ${s.containerPort}${s.userNet ? ' user-net' : ''}${s.optional ? ' optional' : ''}`,
    )
    .sort();
  assert.deepEqual(specs, [
    'tcp 127.0.0.1:8080->127.0.0.1 80/tcp user-net',
    'tcp 127.0.0.1:8443->127.0.0.1 443/tcp user-net',
    'tcp ::1:8080->127.0.0.1 80/tcp optional',
    'udp 127.0.0.1:5353->10.0.2.15 53/udp user-net',
  ]);
  // Only dockerd's proxy on 127.0.0.1 accepts a loopback publish: it goes to the loopback redirect.
  assert.equal(
    forwardsFor(container('l', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '81' }] }))[0]!.userNetTarget,
    '10.0.2.129',
  );
  assert.equal(forwardsFor(container('v6', { '80/tcp': [{ HostIp: '::', HostPort: '82' }] }))[0]!.userNet, false);
  const both = forwardsFor(
    container('d', {
      '53/tcp': [{ HostIp: '0.0.0.0', HostPort: '53' }],
      '53/udp': [{ HostIp: '0.0.0.0', HostPort: '53' }],
    }),
  );
  assert.equal(
    both.filter((s) => s.hostIp === '127.0.0.1').length,
    2,
    'the same port number in TCP and UDP is two forwards',
  );
  assert.equal(forwardsFor(c)[0]!.container, 'abc-name');
  assert.deepEqual(forwardsFor(container('x', { '80/tcp': [{ HostPort: '8080' }] }, false)), []);
  assert.deepEqual(forwardsFor(container('x', { '80/tcp': [{ HostPort: 'nope' }] })), []);
});

/** A fake Docker API: containers by id and an events stream the test writes to. */
class FakeDocker implements ContainerSource {
  containers = new Map<string, ContainerPorts>();
  streams: PassThrough[] = [];
  async runningIds(): Promise<string[]> {
    return [...this.containers.values()].filter((c) => c.State.Running).map((c) => c.Id);
  }
  async inspect(id: string): Promise<unknown> {
    const c = this.containers.get(id);
    if (!c) throw new Error(`(HTTP code 404) no such container - No such container: ${id}`);
    return c;
  }
  async events(): Promise<NodeJS.ReadableStream> {
    const s = new PassThrough();
    this.streams.push(s);
    return s;
  }
  emit(action: string, id: string): void {
    this.streams
      .at(-1)!
      .write(`${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: {} } })}\n`);
  }
}

/** Sends a line to host:port and returns the reply, or the error code. */
function ask(port: number, line: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    let got = '';
    s.on('connect', () => s.write(line));
    s.on('data', (d) => {
      got += d;
      s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function until(fw: PortForwarder, pred: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred()) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000);
    const check = (): void => {
      if (pred()) {
        clearTimeout(timer);
        fw.off('change', check);
        resolve();
      }
    };
    fw.on('change', check);
  });
}

test('the forwarder opens, pipes, closes, reports a taken port and reconciles after the event stream ends', async (t) => {
  // Stands in for dockerd's proxy in the VM: answers "guest:<port>:<line>".
  const guest = net.createServer((s) => s.on('data', (d) => s.write(`guest:${d}`)));
  await new Promise<void>((r) => guest.listen(0, '127.0.0.1', r));
  const guestPort = (guest.address() as net.AddressInfo).port;
  const dialed: string[] = [];
  const docker = new FakeDocker();
  const fw = new PortForwarder({
    docker: () => docker,
    connect: async (host, port) => {
      dialed.push(`${host}:${port}`);
      return net.connect(guestPort, '127.0.0.1');
    },
    retryMs: 20,
  });
  const errors: PortError[] = [];
  fw.on('port-error', (e: PortError) => errors.push(e));
  const blocker = net.createServer();
  t.after(async () => {
    await fw.stop();
    guest.close();
    blocker.close();
  });

  const p1 = await freeTcpPort();
  docker.containers.set('web', container('web', { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(p1) }] }));
  fw.start();
  await until(
    fw,
    () => fw.ports().some((p) => p.hostPort === p1 && p.hostIp === '127.0.0.1'),
    'the running container at start',
  );
  assert.equal(await ask(p1, 'hello'), 'guest:hello');
  assert.ok(dialed.includes(`127.0.0.1:${p1}`), 'the connection went to the same port inside the VM');

  docker.containers.get('web')!.State.Running = false;
  docker.emit('die', 'web');
  await until(fw, () => fw.ports().length === 0, 'the listener to close');
  assert.equal(await ask(p1, 'hello'), 'ECONNREFUSED');

  // Another program holds the port: reported, never silent; cleared when the container goes.
  const p2 = await freeTcpPort();
  await new Promise<void>((r) => blocker.listen(p2, '127.0.0.1', r));
  docker.containers.set('taken', container('taken', { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(p2) }] }));
  docker.emit('start', 'taken');
  await until(fw, () => fw.portErrors().length === 1, 'the port error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.hostPort, p2);
  assert.match(errors[0]!.message, /already in use by another program/);
  docker.containers.delete('taken');
  docker.emit('destroy', 'taken');
  await until(fw, () => fw.portErrors().length === 0, 'the error to clear');

  // dockerd restarted: the stream ends, the forwarder follows again and reconciles.
  docker.containers.get('web')!.State.Running = true;
  docker.streams.at(-1)!.end();
  await until(fw, () => fw.ports().some((p) => p.hostPort === p1), 'the reconcile after the stream ended');
  assert.equal(await ask(p1, 'again'), 'guest:again');

  await fw.stop();
  assert.deepEqual(fw.ports(), []);
  assert.equal(await ask(p1, 'hello'), 'ECONNREFUSED');
});

test('a TCP client that half-closes still gets the whole reply through a published port', async (t) => {
  // Like `nc -l -e wc -c`: replies only once the client has ended its side.
  const guest = net.createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on('data', (d: Buffer) => {
      n += d.length;
    });
    s.on('end', () => s.end(`${n}\n`));
  });
  await new Promise<void>((r) => guest.listen(0, '127.0.0.1', r));
  const guestPort = (guest.address() as net.AddressInfo).port;
  const docker = new FakeDocker();
  const fw = new PortForwarder({
    docker: () => docker,
    connect: async () => net.connect(guestPort, '127.0.0.1'),
    retryMs: 20,
  });
  t.after(async () => {
    await fw.stop();
    guest.close();
  });
  const p = await freeTcpPort();
  docker.containers.set('wc', container('wc', { '9000/tcp': [{ HostIp: '0.0.0.0', HostPort: String(p) }] }));
  fw.start();
  await until(fw, () => fw.ports().some((x) => x.hostPort === p), 'the listener');
  const reply = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ port: p, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    s.on('connect', () => s.end('hello world'));
    s.on('data', (d) => {
      got += d;
    });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
  assert.equal(reply, '11\n');
});

test("a publish on 127.0.0.k, the VM's or the host's own address is a QEMU forward too (TCP and UDP); ::1 is not", () => {
  const host = new Set(['192.168.1.5']);
  for (const proto of ['tcp', 'udp']) {
    const one = (hostIp: string) =>
      forwardsFor(container('u', { [`9001/${proto}`]: [{ HostIp: hostIp, HostPort: '5300' }] }), host).find(
        (s) => s.hostIp !== '::1',
      )!;
    const lo = one('127.0.0.1');
    assert.deepEqual(
      [lo.hostIp, lo.userNet, lo.userNetTarget, lo.guestHost],
      ['127.0.0.1', true, '10.0.2.129', '127.0.0.1'],
    );
    assert.deepEqual([one('127.0.0.2').hostIp, one('127.0.0.2').userNetTarget], ['127.0.0.2', '10.0.2.130']);
    // A publish on the VM's own address: the host's loopback, forwarded to that address as is.
    assert.deepEqual([one('10.0.2.15').hostIp, one('10.0.2.15').userNetTarget], ['127.0.0.1', '10.0.2.15']);
    assert.equal(one('0.0.0.0').userNetTarget, '10.0.2.15');
    // The host's own address: bound there, its guest target asked for at run time.
    assert.deepEqual(
      [one('192.168.1.5').hostIp, one('192.168.1.5').userNet, one('192.168.1.5').hostAddress],
      ['192.168.1.5', true, true],
    );
    // An address neither the host's nor the VM's, out of the redirect's range, IPv6 loopback: not on the user network.
    assert.deepEqual([one('172.16.9.9').hostIp, one('172.16.9.9').userNet], ['127.0.0.1', false]);
    assert.equal(one('127.0.0.127').userNet, false);
  }
  const v6 = (proto: string) =>
    forwardsFor(container('s', { [`80/${proto}`]: [{ HostIp: '::1', HostPort: '81' }] }), host)[0]!;
  assert.deepEqual([v6('tcp').hostIp, v6('tcp').userNet, v6('udp').userNet], ['::1', false, false]);
});

test('IPv4 publishes become QEMU forwards (TCP and UDP), removed on die; ::1 is a listener; a taken one is reported', async (t) => {
  const calls: string[] = [];
  let taken = -1;
  const docker = new FakeDocker();
  const dialed: string[] = [];
  const guest = net.createServer((s) => s.end('from the guest proxy\n'));
  await new Promise<void>((r) => guest.listen(0, '127.0.0.1', r));
  t.after(() => guest.close());
  const fw = new PortForwarder({
    docker: () => docker,
    connect: async (host, port) => {
      dialed.push(`${host}:${port}`);
      return net.connect((guest.address() as net.AddressInfo).port, '127.0.0.1');
    },
    userNet: {
      add: async (protocol, hostIp, hostPort, guestIp, guestPort) => {
        if (hostPort === taken)
          throw new Error(`Could not set up host forwarding rule '${protocol}:${hostIp}:${hostPort}'`);
        calls.push(`add ${protocol}:${hostIp}:${hostPort}->${guestIp}:${guestPort}`);
      },
      remove: async (protocol, hostIp, hostPort) => {
        calls.push(`remove ${protocol}:${hostIp}:${hostPort}`);
      },
    },
    hostAddresses: () => new Set(['192.168.1.5']),
    hostAddressTarget: async (ip) => {
      calls.push(`host address ${ip}`);
      return '10.0.2.64';
    },
    retryMs: 20,
  });
  t.after(() => fw.stop());
  const local = await freeTcpPort();
  docker.containers.set(
    'dns',
    container('dns', {
      '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
      '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '8081' }],
      '82/tcp': [{ HostIp: '::1', HostPort: String(local) }],
      '83/udp': [{ HostIp: '192.168.1.5', HostPort: '8083' }],
    }),
  );
  fw.start();
  await until(fw, () => fw.ports().length >= 6, 'the forwards');
  assert.deepEqual(calls.sort(), [
    'add tcp:127.0.0.1:8080->10.0.2.15:8080',
    'add tcp:127.0.0.1:8081->10.0.2.129:8081',
    'add udp:127.0.0.1:5353->10.0.2.15:5353',
    'add udp:192.168.1.5:8083->10.0.2.64:8083',
    'host address 192.168.1.5',
  ]);
  // The ::1 publish is a listener of ours, carried to dockerd's proxy on ::1 in the VM.
  assert.equal(await ask(local, 'hi\n', '::1'), 'from the guest proxy\n');
  assert.deepEqual(dialed, [`::1:${local}`]);
  calls.length = 0;
  docker.containers.get('dns')!.State.Running = false;
  docker.emit('die', 'dns');
  await until(fw, () => fw.ports().length === 0, 'the forwards to go');
  assert.deepEqual(calls.sort(), [
    'remove tcp:127.0.0.1:8080',
    'remove tcp:127.0.0.1:8081',
    'remove udp:127.0.0.1:5353',
    'remove udp:192.168.1.5:8083',
  ]);
  assert.equal(await ask(local, 'hi\n', '::1'), 'ECONNREFUSED', 'the listener is closed');

  taken = 5454;
  docker.containers.set(
    'busy',
    container('busy', {
      '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5454' }],
      '53/tcp': [{ HostIp: '0.0.0.0', HostPort: '5454' }],
    }),
  );
  docker.emit('start', 'busy');
  await until(fw, () => fw.portErrors().length === 2, 'the port errors');
  const messages = fw
    .portErrors()
    .map((e) => e.message)
    .sort();
  assert.match(
    messages[0]!,
    /127\.0\.0\.1:5454 is already in use by another program.*Could not set up host forwarding rule 'tcp:/,
  );
  assert.match(messages[1]!, /5454\/udp is already in use.*Could not set up host forwarding rule 'udp:/);
});

test('pause lets go of the events stream (a dockerd restart would wait on it) until resume, then reconciles', async (t) => {
  const docker = new FakeDocker();
  const fw = new PortForwarder({
    docker: () => docker,
    connect: async () => {
      throw new Error('unused');
    },
    retryMs: 20,
  });
  t.after(() => fw.stop());
  fw.start();
  while (docker.streams.length === 0) await new Promise((r) => setTimeout(r, 5));
  const first = docker.streams[0]!;
  fw.pause();
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(first.destroyed, 'the events stream was closed');
  assert.equal(docker.streams.length, 1, 'no new stream while paused');
  const p = await freeTcpPort();
  docker.containers.set('late', container('late', { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(p) }] }));
  fw.resume();
  await until(fw, () => fw.ports().some((x) => x.hostPort === p), 'the reconcile after resume');
  assert.equal(docker.streams.length, 2);
});

test('host addresses get guest addresses of their own, asked once each; a failed mapping is asked again', async () => {
  const ran: string[] = [];
  let fail = true;
  const target = hostAddressTargets(async (cmd) => {
    ran.push(cmd);
    if (cmd.includes('192.168.1.9') && fail) {
      fail = false;
      throw new Error('iptables: busy');
    }
    return '';
  });
  assert.equal(await target('192.168.1.5'), '10.0.2.64');
  assert.equal(await target('192.168.1.5'), '10.0.2.64');
  await assert.rejects(target('192.168.1.9'), /busy/);
  assert.equal(await target('192.168.1.9'), '10.0.2.66');
  assert.equal(ran.length, 3, 'one command per mapping (and the retry)');
  assert.match(ran[0]!, /-d 10\.0\.2\.64\/32 -j DNAT --to-destination 192\.168\.1\.5/);
  assert.match(ran[0]!, /ip addr replace 192\.168\.1\.5\/32 dev lo/);
});
