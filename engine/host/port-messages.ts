// What `berth status` and the dashboard say about a published port that is not forwarded, in one
// place: each names the host address and port, the container, and why.
import net from 'node:net';
import { GUEST_ADDRESS, type ForwardSpec } from './port-specs.ts';

type Spec = Pick<ForwardSpec, 'hostIp' | 'hostPort' | 'protocol' | 'container' | 'containerPort' | 'guestHost'>;

const hostPort = (s: Spec): string => `host port ${s.hostIp}:${s.hostPort}${s.protocol === 'udp' ? '/udp' : ''}`;

/** Another container of ours has the same host address and port. */
export function alreadyForwarded(s: Spec, other: string): string {
  return `host port ${s.hostIp}:${s.hostPort} is already forwarded for container ${other}`;
}

/** A UDP publish no forward can carry (on ::1, or with no VM network to forward it). */
export function udpNotForwarded(s: Spec, hasVmNetwork: boolean): string {
  const why = !hasVmNetwork
    ? 'no UDP forwarding here'
    : net.isIPv6(s.guestHost)
      ? `it is published on ${s.guestHost}, and the VM's network forwards from IPv4 host addresses only (nothing outside the VM reaches its ${s.guestHost}); publish it on 127.0.0.1 or 0.0.0.0`
      : `it is published on ${s.guestHost} in the VM, and UDP is forwarded for 0.0.0.0, 127.0.0.1-126, the host's own addresses and ${GUEST_ADDRESS}`;
  return `UDP port ${s.hostPort} of container ${s.container} is not forwarded: ${why}`;
}

/** The host could not bind the port: another program holds it, or `why` says what else. */
export function notBound(s: Spec, why: string, inUse: boolean): string {
  return inUse
    ? `${hostPort(s)} is already in use by another program: container ${s.container} (${s.containerPort}) is not reachable on it${why ? ` (${why})` : ''}`
    : `${hostPort(s)} cannot be forwarded for container ${s.container} (${s.containerPort}): ${why}`;
}

/** The guest could not be given a redirect for one of the host's own addresses. */
export function hostAddressFailed(s: Spec, why: string): string {
  return `host address ${s.hostIp} cannot be forwarded for container ${s.container} (${s.containerPort}): ${why}`;
}
