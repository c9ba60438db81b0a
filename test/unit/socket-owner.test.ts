// Which process listens on a host port, from the kernel's socket tables: passt's own listener
// told apart from another program's and from a UDP flow socket it keeps bound a while.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { listeningInodes, procAddress, processListens } from '../../engine/host/socket-owner.ts';

describe('socket owner', () => {
  it('spells addresses as the kernel does', () => {
    assert.equal(procAddress('127.0.0.1', 8080), '0100007F:1F90');
    assert.equal(procAddress('0.0.0.0', 53), '00000000:0035');
  });

  it('counts a TCP listener and an unconnected UDP socket, not a connected one', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0',
      '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0',
      '   2: 0100007F:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 333 2 0',
      '   3: 0100007F:1F90 0200020A:C350 01 00000000:00000000 00:00000000 00000000  1000        0 444 2 0',
    ].join('\n');
    assert.deepEqual([...listeningInodes(table, 'tcp', '127.0.0.1', 8080)], ['111']);
    assert.deepEqual([...listeningInodes(table, 'udp', '127.0.0.1', 8080)], ['333']);
    assert.deepEqual([...listeningInodes(table, 'tcp', '127.0.0.1', 8081)], []);
  });

  it('finds this process’s own listeners, and not a port it does not hold', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    assert.equal(processListens(process.pid, 'tcp', '127.0.0.1', port), true);
    const u = dgram.createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    const up = u.address().port;
    assert.equal(processListens(process.pid, 'udp', '127.0.0.1', up), true);
    s.close();
    u.close();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(processListens(process.pid, 'tcp', '127.0.0.1', port), false);
    assert.equal(processListens(process.pid, 'udp', '127.0.0.1', up), false);
    assert.equal(processListens(2 ** 22 + 7, 'tcp', '127.0.0.1', port), undefined, 'no such process: cannot tell');
  });
});
