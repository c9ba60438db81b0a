// A publish on one of the host's own addresses (`-p 192.168.1.5:8080:80`): QEMU binds that address
// on the host and forwards to 10.0.2.64+j in the VM, which the guest maps onto the same address
// (engine/agent/loopback-redirect.ts, HOST_ADDRESS), where dockerd's proxy has bound it. Only the
// host knows its addresses, so it asks the guest for each one as it first needs it, over the guest
// link; an adopting host maps them afresh (each mapping replaces what that guest address had).
import { HOST_ADDRESS } from '../agent/loopback-redirect.ts';

/**
 * The guest command that makes 10.0.2.<base+j> deliver to `hostIp`: a DNAT rule (replacing the
 * one that guest address had), and the address on lo without its local route. The kernel sends a
 * reply from an address only if an interface has it; without the route, the VM's own traffic to
 * that address still leaves for the host, and only the marked packets are delivered locally.
 */
export function hostAddressScript(guestIp: string, hostIp: string): string {
  const c = `iptables -t nat`;
  return (
    `${c} -S ${HOST_ADDRESS.chain} | grep -F -- '-d ${guestIp}/32 ' | sed 's/^-A /-D /' | while read -r r; do ${c} $r; done; ` +
    `${c} -A ${HOST_ADDRESS.chain} -d ${guestIp}/32 -j DNAT --to-destination ${hostIp} && ` +
    `ip addr replace ${hostIp}/32 dev lo scope host && (ip route del local ${hostIp} dev lo table local 2>/dev/null; true)`
  );
}

/** Host address -> its guest address, one mapping per address for this host's life. */
export function hostAddressTargets(run: (command: string) => Promise<string>): (hostIp: string) => Promise<string> {
  const mapped = new Map<string, Promise<string>>();
  let next = 0; // never reused: a failed mapping's guest address stays unused
  return (hostIp) => {
    let target = mapped.get(hostIp);
    if (!target) {
      if (next >= HOST_ADDRESS.size)
        return Promise.reject(new Error(`at most ${HOST_ADDRESS.size} host addresses are forwarded`));
      const guestIp = `10.0.2.${HOST_ADDRESS.base + next++}`;
      target = run(hostAddressScript(guestIp, hostIp)).then(() => guestIp);
      // A failed mapping is tried again next time rather than remembered.
      target.catch(() => mapped.delete(hostIp));
      mapped.set(hostIp, target);
    }
    return target;
  };
}
