// The VM's redirects for published ports, so a QEMU user-network forward (the host's fast path)
// reaches dockerd's proxy however the port was published. The replies go back the way they came
// (conntrack undoes each mapping). Only packets arriving on eth0 are mapped; containers and the
// VM's own traffic are not touched.
//
// Loopback: a port published on the VM's loopback (`-p 127.0.0.1:P:80`, the usual compose form)
// has dockerd's proxy listening on 127.0.0.1 only. The host forwards it to 10.0.2.128+k
// (engine/host/port-specs.ts, userNetAddress): those addresses are local (a `local` route: the VM
// answers QEMU's ARP for them), a NETMAP rule maps them onto 127.0.0.0/25, and route_localnet on
// eth0 lets a packet from outside reach 127.0.0.k and a reply leave from it.
//
// A host address (`-p 192.168.1.5:P:80`, one of the host's own): dockerd's proxy binds it before
// the host has seen the container (ip_nonlocal_bind), the host forwards it to 10.0.2.64+j and asks
// the guest to map that onto the address (engine/host/port-host-address.ts). A packet from eth0 to
// 10.0.2.64/26 is marked, and marked packets are delivered locally whatever their address after
// the DNAT (a policy route), so the VM's own traffic to that address still goes to the real host.
import { execFile } from 'node:child_process';
import fs from 'node:fs';

export const REDIRECT_FROM = '10.0.2.128/25';
export const REDIRECT_TO = '127.0.0.0/25';
/** The guest addresses the host forwards host-address publishes to: base+j, j < size. */
export const HOST_ADDRESS = {
  base: 64,
  size: 64,
  net: '10.0.2.64/26',
  chain: 'BERTH_HOSTADDR',
  mark: '0xb3',
  table: 179,
} as const;

/** The shell line that sets the redirects up; run again, it changes nothing. */
export function redirectScript(dev = 'eth0'): string {
  const rule = `PREROUTING -i ${dev} -d ${REDIRECT_FROM} -j NETMAP --to ${REDIRECT_TO}`;
  const { net, chain, mark, table } = HOST_ADDRESS;
  const markRule = `PREROUTING -i ${dev} -d ${net} -j MARK --set-mark ${mark}`;
  const jump = `PREROUTING -i ${dev} -d ${net} -j ${chain}`;
  return [
    `ip route replace local ${REDIRECT_FROM} dev lo`,
    `(iptables -t nat -C ${rule} 2>/dev/null || iptables -t nat -A ${rule})`,
    `ip route replace local ${net} dev lo`,
    `ip route replace local default dev lo table ${table}`,
    `(ip rule show | grep -q 'fwmark ${mark} lookup ${table}' || ip rule add fwmark ${mark} lookup ${table} pref ${table})`,
    `(iptables -t mangle -C ${markRule} 2>/dev/null || iptables -t mangle -A ${markRule})`,
    `(iptables -t nat -N ${chain} 2>/dev/null; iptables -t nat -C ${jump} 2>/dev/null || iptables -t nat -A ${jump})`,
  ].join(' && ');
}

/**
 * Sets the redirects up once, off the start's path (one shell: a few process starts, after the API
 * is up), except the non-local bind, which dockerd needs before it starts a container published on
 * a host address. Resolves to the reason on failure (logged), null when done.
 */
export async function setUpLoopbackRedirect(
  log: (msg: string) => void = (m) => console.log(`agent: ${m}`),
  dev = 'eth0',
): Promise<string | null> {
  try {
    fs.writeFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', '1');
    fs.writeFileSync(`/proc/sys/net/ipv4/conf/${dev}/route_localnet`, '1');
  } catch (e) {
    const why = `no loopback redirect (${(e as Error).message}): ports published on 127.0.0.1 or a host address are not reachable from the host`;
    log(why);
    return why;
  }
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', redirectScript(dev)], { timeout: 30_000 }, (err, _out, stderr) => {
      if (!err) {
        resolve(null);
        return;
      }
      const why = `no loopback redirect (${(stderr || err.message).trim()}): ports published on 127.0.0.1 or a host address are not reachable from the host`;
      log(why);
      resolve(why);
    });
  });
}
