// The guest's DNS proxy: host.docker.internal answered locally, everything else relayed to the
// upstream resolver. Checked with Node's own resolver against a fake upstream on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { hostAnswer, isHostName, parseQuestion, startDnsProxy } from '../../engine/agent/dns-proxy.ts';

function query(name: string, qtype: number, id = 0x1234): Buffer {
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([header, ...labels, Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1])]);
}

test('parses a standard query and answers the host names', () => {
  const q = parseQuestion(query('Host.Docker.Internal', 1))!;
  assert.equal(q.name, 'host.docker.internal');
  assert.equal(q.qtype, 1);
  assert.ok(isHostName(q.name) && isHostName('gateway.docker.internal.') && !isHostName('example.org'));
  const a = hostAnswer(query('host.docker.internal', 1), q, '10.0.2.2');
  assert.equal(a.readUInt16BE(0), 0x1234, 'same id');
  assert.equal(a.readUInt16BE(2) & 0x800f, 0x8000, 'a response, NOERROR');
  assert.equal(a.readUInt16BE(6), 1, 'one answer');
  assert.deepEqual([...a.subarray(-4)], [10, 0, 2, 2]);
  const aaaa = hostAnswer(
    query('host.docker.internal', 28),
    parseQuestion(query('host.docker.internal', 28))!,
    '10.0.2.2',
  );
  assert.equal(aaaa.readUInt16BE(6), 0, 'AAAA: no data, but no NXDOMAIN either');
  assert.equal(aaaa.readUInt16BE(2) & 0xf, 0);
  assert.equal(parseQuestion(Buffer.from([1, 2, 3])), null);
  const response = query('x.y', 1);
  response[2] = 0x81;
  assert.equal(parseQuestion(response), null, 'responses are not queries');
});

test('the proxy answers host.docker.internal itself and relays other names upstream (UDP and TCP)', async (t) => {
  // Fake upstream: answers every A query with 192.0.2.7 and counts what it saw.
  const seen: string[] = [];
  const upstream = dgram.createSocket('udp4');
  upstream.on('message', (msg, rinfo) => {
    const q = parseQuestion(msg)!;
    seen.push(q.name);
    upstream.send(hostAnswer(msg, q, '192.0.2.7'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
  const upstreamTcp = net.createServer((s) =>
    s.on('data', (d: Buffer) => {
      const msg = d.subarray(2);
      const a = hostAnswer(msg, parseQuestion(msg)!, '192.0.2.8');
      s.end(Buffer.concat([Buffer.from([a.length >> 8, a.length & 0xff]), a]));
    }),
  );
  await new Promise<void>((r) => upstreamTcp.listen(upstream.address().port, '127.0.0.1', r));
  const proxy = await startDnsProxy({
    listenHost: '127.0.0.1',
    port: 0,
    upstreamHost: '127.0.0.1',
    upstreamPort: upstream.address().port,
    timeoutMs: 2000,
  });
  t.after(async () => {
    await proxy.close();
    upstream.close();
    upstreamTcp.close();
  });

  const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${proxy.udp.address().port}`]);
  assert.deepEqual(await resolver.resolve4('host.docker.internal'), ['10.0.2.2']);
  assert.deepEqual(await resolver.resolve4('gateway.docker.internal'), ['10.0.2.2']);
  await assert.rejects(resolver.resolve6('host.docker.internal'), (e: NodeJS.ErrnoException) => e.code === 'ENODATA');
  assert.deepEqual(await resolver.resolve4('example.test'), ['192.0.2.7']);
  assert.deepEqual(seen, ['example.test'], 'only the other name went upstream');

  // TCP: length-prefixed; a local name and a relayed one on the same connection.
  const tcpPort = (proxy.tcp.address() as net.AddressInfo).port;
  const replies = await new Promise<Buffer[]>((resolve, reject) => {
    const s = net.connect(tcpPort, '127.0.0.1');
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (out.length === 2) {
          s.end();
          resolve(out);
        }
      }
    });
    for (const q of [query('host.docker.internal', 1, 1), query('other.test', 1, 2)])
      s.write(Buffer.concat([Buffer.from([0, q.length]), q]));
  });
  const byId = new Map(replies.map((r) => [r.readUInt16BE(0), [...r.subarray(-4)].join('.')]));
  assert.equal(byId.get(1), '10.0.2.2');
  assert.equal(byId.get(2), '192.0.2.8');
});
