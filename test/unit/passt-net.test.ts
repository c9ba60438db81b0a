// The VM's network on passt: its command line, QEMU's netdev for it, and published ports as pesto
// rules (a fake pesto over a table in memory; the real passt runs in test/engine/port-conformance).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { netdevArgs } from '../../engine/host/qemu-args.ts';
import { passtArgs, passtMode, passtPaths, sshForward } from '../../engine/host/passt-net.ts';
import { parseTable, passtForwards, portFree, ruleSpec, type PasstRule } from '../../engine/host/passt-forwards.ts';
import { passtFor } from '../../engine/host/passt-runtime.ts';

describe('passt as the VM network', () => {
  it('QEMU connects its NIC to passt and offers passt’s MTU; without passt the user network keeps the SSH forward', () => {
    const stream = netdevArgs({ sshPort: 2222, netdev: { kind: 'stream', socket: '/run/a,b/passt.sock', mtu: 65520 } });
    assert.deepEqual(stream, [
      '-netdev',
      'stream,id=net0,server=off,addr.type=unix,addr.path=/run/a,,b/passt.sock',
      '-device',
      'virtio-net-pci,netdev=net0,host_mtu=65520',
    ]);
    assert.match(netdevArgs({ sshPort: 2222 }).join(' '), /user,id=net0,hostfwd=tcp:127\.0\.0\.1:2222-:22/);
  });

  it('passt serves the user network’s addresses, forwards SSH to the guest and quits with QEMU', () => {
    const p = passtPaths('/d/run', '/d/logs');
    const a = passtArgs(p, 40022);
    const opt = (name: string) => a[a.indexOf(name) + 1];
    assert.equal(opt('--socket'), '/d/run/passt.sock');
    assert.equal(opt('--conf-path'), '/d/run/passt.ctl');
    assert.equal(opt('--address'), '10.0.2.15');
    assert.equal(opt('--map-host-loopback'), '10.0.2.2');
    assert.equal(opt('--dns-forward'), '10.0.2.3');
    assert.equal(opt('--tcp-ports'), '127.0.0.1/40022:10.0.2.15/22');
    assert.equal(sshForward(40022), opt('--tcp-ports'));
    assert.ok(a.includes('--one-off'), 'passt ends once QEMU closes its socket');
  });

  it('passt serves the NIC over vhost-user on QEMU 10 and later, else over the stream', () => {
    assert.equal(passtMode({}, '10.0.2'), 'vhost-user');
    assert.equal(passtMode({}, '7.2.22'), 'stream', 'QEMU 7.2 crashes on a vhost-user NIC');
    assert.equal(passtMode({}, undefined), 'stream');
    assert.equal(passtMode({ BERTH_PASST_MODE: 'stream' }, '10.0.2'), 'stream');
    const p = passtPaths('/d/run', '/d/logs');
    assert.ok(passtArgs(p, 40022, passtMode({}, '10.0.2')).includes('--vhost-user'));
    assert.ok(!passtArgs(p, 40022, 'stream').includes('--vhost-user'));
  });

  it('BERTH_NET=user and non-Linux hosts keep QEMU’s user network, with the reason', () => {
    assert.deepEqual(passtFor({ BERTH_NET: 'user' }, 'linux'), { reason: 'BERTH_NET=user' });
    assert.match((passtFor({}, 'darwin') as { reason: string }).reason, /Linux hosts only/);
    assert.match((passtFor({ BERTH_NET: 'slirp' }, 'linux') as { reason: string }).reason, /not 'user' or 'passt'/);
    const none = passtFor({}, 'linux', fs.mkdtempSync(path.join(os.tmpdir(), 'berth-unit-')));
    if ('reason' in none) assert.match(none.reason, /no passt with pesto/);
  });
});

describe('published ports as pesto rules', () => {
  const listing = [
    'passt/pasta configuration (/run/passt.ctl)',
    '  HOST',
    '    TCP [127.0.0.1]:2222  =>  10.0.2.15:22 ',
    '    UDP [192.0.2.2]:5353  =>  10.0.2.64:5353 ',
  ].join('\n');

  it('reads pesto’s listing back into rules', () => {
    assert.deepEqual(parseTable(listing), [
      { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 2222, guestIp: '10.0.2.15', guestPort: 22 },
      { protocol: 'udp', hostIp: '192.0.2.2', hostPort: 5353, guestIp: '10.0.2.64', guestPort: 5353 },
    ]);
  });

  /**
   * A passt in memory: its table, which ports it holds, and ports other programs hold. Like the
   * real one it binds what a change asks only after pesto has returned (`lagMs` later).
   */
  function fakePasst(others: string[] = [], failBind: string[] = [], lagMs = 0) {
    const table: PasstRule[] = [];
    const calls: string[][] = [];
    const key = (p: string, ip: string, port: number) => `${p} ${ip}:${port}`;
    let bound = new Set<string>();
    const bind = () => {
      bound = new Set(
        table
          .map((r) => key(r.protocol, r.hostIp, r.hostPort))
          .filter((k) => !failBind.includes(k) && !others.includes(k)),
      );
    };
    const pesto = async (args: string[]) => {
      calls.push(args);
      if (!args.length) {
        return `  HOST\n${table.map((r) => `    ${r.protocol.toUpperCase()} [${r.hostIp}]:${r.hostPort}  =>  ${r.guestIp}:${r.guestPort}`).join('\n')}`;
      }
      const [op, f, spec] = args;
      const m = /^([\d.]+)\/(\d+):([\d.]+)\/(\d+)$/.exec(spec ?? '');
      assert.ok(m, `a full rule: ${spec}`);
      const r: PasstRule = {
        protocol: f === '-t' ? 'tcp' : 'udp',
        hostIp: m[1] ?? '',
        hostPort: Number(m[2]),
        guestIp: m[3] ?? '',
        guestPort: Number(m[4]),
      };
      const i = table.findIndex((x) => ruleSpec(x) === ruleSpec(r) && x.protocol === r.protocol);
      if (op === '-A') {
        if (i >= 0) throw new Error('Forwarding configuration conflict');
        table.push(r);
      } else {
        if (i < 0) throw new Error("Couldn't find forwarding rule to delete");
        table.splice(i, 1);
      }
      if (lagMs) setTimeout(bind, lagMs);
      else bind();
      return '';
    };
    const held = (p: string, ip: string, port: number) => bound.has(key(p, ip, port));
    const isFree = async (p: 'tcp' | 'udp', ip: string, port: number) =>
      !others.includes(key(p, ip, port)) && !held(p, ip, port);
    const passtListens = (p: 'tcp' | 'udp', ip: string, port: number) => held(p, ip, port);
    const forwards = passtForwards(pesto, { isFree, passtListens, applyMs: 300 });
    return { table, calls, forwards, held, others, apply: bind };
  }

  it('adds and removes a forward to the guest address asked', async () => {
    const f = fakePasst();
    await f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.129', 8080);
    await f.forwards.add('udp', '127.0.0.1', 8080, '10.0.2.15', 8080);
    assert.deepEqual(f.calls.slice(0, 1), [['-A', '-t', '127.0.0.1/8080:10.0.2.129/8080']]);
    assert.ok(f.held('tcp', '127.0.0.1', 8080) && f.held('udp', '127.0.0.1', 8080));
    await f.forwards.remove('tcp', '127.0.0.1', 8080);
    assert.deepEqual(f.table.map(ruleSpec), ['127.0.0.1/8080:10.0.2.15/8080']);
  });

  it('a port another program holds is reported and never reaches passt’s table', async () => {
    const f = fakePasst(['tcp 127.0.0.1:8080']);
    await assert.rejects(f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.15', 8080), /8080: address already in use/);
    assert.equal(f.table.length, 0);
    assert.ok(!f.calls.some((c) => c[0] === '-A'));
  });

  it('a rule passt could not bind is taken out again at once, so later changes still apply', async () => {
    const f = fakePasst([], ['tcp 127.0.0.1:8080']);
    await assert.rejects(f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.15', 8080), /passt did not bind it/);
    assert.equal(f.table.length, 0);
  });

  it('a change passt applies after pesto returned is waited for, not taken for a failed bind', async () => {
    const f = fakePasst([], [], 40);
    await f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.15', 8080);
    assert.ok(f.held('tcp', '127.0.0.1', 8080));
    assert.equal(f.table.length, 1);
    // Stopped and started at once: the port passt is still letting go of is not another program's.
    await f.forwards.remove('tcp', '127.0.0.1', 8080);
    assert.ok(!f.held('tcp', '127.0.0.1', 8080), 'let go before remove returns');
    await f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.15', 8080);
    assert.ok(f.held('tcp', '127.0.0.1', 8080));
  });

  it('a port another program takes while passt applies the rule is reported, and the rule goes', async () => {
    const f = fakePasst([], [], 40);
    const adding = f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.15', 8080);
    f.others.push('tcp 127.0.0.1:8080');
    await assert.rejects(adding, /8080: address already in use/);
    assert.equal(f.table.length, 0);
  });

  it('an adopted passt’s rule for the same port is taken over, or replaced when its target moved', async () => {
    const f = fakePasst();
    f.table.push({ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, guestIp: '10.0.2.15', guestPort: 8080 });
    f.apply();
    await f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.15', 8080);
    assert.equal(f.table.length, 1);
    assert.ok(!f.calls.some((c) => c[0] === '-A'), 'the same rule is kept as it is');
    await f.forwards.add('tcp', '127.0.0.1', 8080, '10.0.2.130', 8080);
    assert.deepEqual(f.table.map(ruleSpec), ['127.0.0.1/8080:10.0.2.130/8080']);
  });

  it('the real check: a listening port is not free, a UDP port bound with SO_REUSEADDR is free when shared', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    assert.equal(await portFree('tcp', '127.0.0.1', port), false);
    s.close();
    assert.equal(await portFree('tcp', '127.0.0.1', port), true);
    const dgram = await import('node:dgram');
    const u = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    const up = u.address().port;
    assert.equal(await portFree('udp', '127.0.0.1', up), false);
    assert.equal(await portFree('udp', '127.0.0.1', up, true), true);
    u.close();
  });
});
