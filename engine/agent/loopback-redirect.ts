// The VM's loopback redirect: what QEMU's user network sends to 10.0.2.128+k is delivered to
// 127.0.0.k inside the VM, and the replies go back the way they came (conntrack undoes the mapping).
//
// Why: a port published on the VM's loopback (`-p 127.0.0.1:P:53/udp`, the usual compose form) has
// dockerd's proxy listening on 127.0.0.1 only, where a user-network forward (QEMU's hostfwd, the
// host's fast path for published ports) cannot reach. With this, the host forwards such a UDP
// publish to 10.0.2.129:P (engine/host/port-specs.ts, userNetAddress) and QEMU carries the
// datagrams, replies included, with no process of ours copying them.
//
// Three things make it: the addresses 10.0.2.128/25 are local (a `local` route: the VM answers
// QEMU's ARP for them), a NETMAP rule maps them onto 127.0.0.0/25, and route_localnet on eth0 lets a
// packet from outside reach 127.0.0.k and a reply leave from it. Only packets arriving on eth0 are
// mapped; containers and the VM's own traffic are not touched.
import { execFile } from 'node:child_process';
import fs from 'node:fs';

export const REDIRECT_FROM = '10.0.2.128/25';
export const REDIRECT_TO = '127.0.0.0/25';

/** The shell line that sets the redirect up; run again, it changes nothing. */
export function redirectScript(dev = 'eth0'): string {
  const rule = `PREROUTING -i ${dev} -d ${REDIRECT_FROM} -j NETMAP --to ${REDIRECT_TO}`;
  return [
    `ip route replace local ${REDIRECT_FROM} dev lo`,
    `(iptables -t nat -C ${rule} 2>/dev/null || iptables -t nat -A ${rule})`,
  ].join(' && ');
}

/**
 * Sets the redirect up once, off the start's path (one shell, `ip` and `iptables`: three process
 * starts, after the API is up). Resolves to the reason on failure (logged), null when done.
 */
export async function setUpLoopbackRedirect(log: (msg: string) => void = (m) => console.log(`agent: ${m}`), dev = 'eth0'): Promise<string | null> {
  try {
    fs.writeFileSync(`/proc/sys/net/ipv4/conf/${dev}/route_localnet`, '1');
  } catch (e) {
    const why = `no loopback redirect (route_localnet: ${(e as Error).message}): UDP ports published on 127.0.0.1 are not reachable from the host`;
    log(why);
    return why;
  }
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', redirectScript(dev)], { timeout: 30_000 }, (err, _out, stderr) => {
      if (!err) { resolve(null); return; }
      const why = `no loopback redirect (${(stderr || err.message).trim()}): UDP ports published on 127.0.0.1 are not reachable from the host`;
      log(why);
      resolve(why);
    });
  });
}
