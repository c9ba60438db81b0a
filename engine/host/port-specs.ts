// Which host forwards a container's published ports need (pure: unit-tested without a VM).
// Every IPv4 publish is a forward of the VM's network (passt on Linux, passt-forwards.ts; else a
// QEMU user-network hostfwd, qemu-hostfwd.ts), bound on the host to the address asked, so the
// network carries the bytes (half-close included) and no process of ours copies them:
// - a wildcard one goes to the VM's own address, where dockerd's proxy listens for it;
// - one on 127.0.0.k goes to the VM's loopback redirect (LOOPBACK_REDIRECT: the guest maps
//   10.0.2.128+k to 127.0.0.k), where dockerd's proxy listens on 127.0.0.k only;
// - one on an address of the host's own (a LAN address) goes to a host-address redirect the host
//   asks the guest for at run time (port-host-address.ts), because only the host knows that address.
// Both networks forward from IPv4 host addresses only, and nothing outside the VM reaches its ::1:
// a TCP publish on ::1 (and the ::1 companion of a wildcard one) is a host listener whose
// connections the data plane carries to dockerd's proxy (the fallback path); a UDP one on ::1 is
// reported.
import net from 'node:net';
import os from 'node:os';
import { z } from 'zod';
import type { PortErrorSchema, PublishedPortSchema } from './engine-types.ts';

/** The VM's address on QEMU's user network (berth-init sets it). */
export const GUEST_ADDRESS = '10.0.2.15';

/**
 * The guest's loopback redirect (engine/agent/loopback-redirect.ts): a packet from QEMU's user
 * network to 10.0.2.128+k is delivered to 127.0.0.k inside the VM, and its replies go back the same
 * way, so a user-network forward reaches a proxy that listens on the VM's loopback only.
 */
export const LOOPBACK_REDIRECT = { base: '10.0.2.128', prefix: 25, loopback: '127.0.0.0' } as const;

/** The user-network address that reaches `ip` inside the VM, or null when none does. */
export function userNetAddress(ip: string): string | null {
  if (ip === GUEST_ADDRESS) return ip;
  const m = /^127\.0\.0\.(\d{1,3})$/.exec(ip);
  const k = Number(m?.[1]);
  // .0 is the network, .127 would be 10.0.2.255, the user network's broadcast.
  return m && k >= 1 && k <= 126 ? `10.0.2.${128 + k}` : null;
}

/** One active host listener; containerPort as docker spells it ("80/tcp"). */
export type PublishedPort = z.infer<typeof PublishedPortSchema>;
/** A published port the host could not listen on (taken by another program, no such address). */
export type PortError = z.infer<typeof PortErrorSchema>;

export interface ForwardSpec extends PublishedPort {
  protocol: 'tcp' | 'udp';
  /** Where a carried connection goes inside the VM: dockerd's proxy for this binding. */
  guestHost: string;
  /** The VM's user network can forward it to `userNetTarget` at the same port. */
  userNet: boolean;
  /** Where a user-network forward goes: GUEST_ADDRESS, or the loopback redirect's address. */
  userNetTarget?: string;
  /** A host address of the host's own: the forward's target is the guest's redirect for it, asked at run time. */
  hostAddress?: boolean;
  /** A best-effort extra listener (::1 next to 127.0.0.1): only "address in use" is reported. */
  optional?: boolean;
}

const BindingSchema = z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() });
/** The part of a container inspect this module reads (validated: it crosses the docker API). */
export const InspectSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  State: z.object({ Running: z.boolean() }),
  NetworkSettings: z.object({
    Ports: z.record(z.string(), z.array(BindingSchema).nullable()).nullable().optional(),
  }),
});
export type ContainerPorts = z.infer<typeof InspectSchema>;

const WILDCARDS = new Set(['', '0.0.0.0', '::']);

function isLoopback(ip: string): boolean {
  return ip === '::1' || (net.isIPv4(ip) && ip.startsWith('127.'));
}

/**
 * The host address to listen on. A wildcard publish (docker's default, `-p 8080:80`) becomes
 * the host's loopback only: the VM is a development engine, and opening its ports to the local
 * network by default would expose containers the user thinks of as local. A loopback address
 * the user chose (127.0.0.2, ::1) is kept; an address of the VM's own (10.0.2.15) has no meaning
 * on the host, so it is loopback too. (One of the host's own addresses: see route.)
 */
export function hostListenAddress(hostIp: string): string {
  return isLoopback(hostIp) ? hostIp : '127.0.0.1';
}

/** The address inside the VM where dockerd's proxy accepts this binding. */
export function guestTarget(hostIp: string): string {
  if (hostIp === '' || hostIp === '0.0.0.0') return '127.0.0.1';
  if (hostIp === '::') return '::1';
  return hostIp;
}

/** Where a binding goes: on QEMU's user network (to a guest address, or a host-address redirect) or carried. */
function route(
  hostIp: string,
  protocol: 'tcp' | 'udp',
  hostAddrs: ReadonlySet<string>,
): Pick<ForwardSpec, 'hostIp' | 'guestHost' | 'userNet' | 'userNetTarget' | 'hostAddress'> {
  if (hostIp === '' || hostIp === '0.0.0.0' || (protocol === 'udp' && hostIp === '::')) {
    return {
      hostIp: '127.0.0.1',
      guestHost: protocol === 'udp' ? GUEST_ADDRESS : '127.0.0.1',
      userNet: true,
      userNetTarget: GUEST_ADDRESS,
    };
  }
  const target = userNetAddress(hostIp);
  if (target) return { hostIp: hostListenAddress(hostIp), guestHost: hostIp, userNet: true, userNetTarget: target };
  // The host's own address: bound there on the host, and the guest delivers it to the same address
  // (dockerd's proxy can bind it: the agent allows non-local binds).
  if (net.isIPv4(hostIp) && hostAddrs.has(hostIp))
    return { hostIp, guestHost: hostIp, userNet: true, hostAddress: true };
  return { hostIp: hostListenAddress(hostIp), guestHost: guestTarget(hostIp), userNet: false };
}

/** The host's own non-loopback IPv4 addresses (a publish on one is bound there on the host too). */
export function hostIPv4Addresses(): Set<string> {
  return new Set(
    Object.values(os.networkInterfaces())
      .flatMap((l) => l ?? [])
      .filter((a) => a.family === 'IPv4' && !a.internal)
      .map((a) => a.address),
  );
}

/** Every host forward a running container needs, one per (protocol, address, port). */
export function forwardsFor(c: ContainerPorts, hostAddrs: ReadonlySet<string> = hostIPv4Addresses()): ForwardSpec[] {
  if (!c.State.Running) return [];
  const byKey = new Map<string, ForwardSpec>();
  const name = c.Name.replace(/^\//, '');
  for (const [containerPort, bindings] of Object.entries(c.NetworkSettings.Ports ?? {})) {
    const protocol = containerPort.endsWith('/tcp') ? 'tcp' : containerPort.endsWith('/udp') ? 'udp' : null;
    if (!protocol) continue; // SCTP: not forwarded
    for (const b of bindings ?? []) {
      const hostPort = Number(b.HostPort);
      if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) continue;
      const hostIp = b.HostIp ?? '';
      const spec: ForwardSpec = {
        containerId: c.Id,
        container: name,
        containerPort,
        protocol,
        hostPort,
        ...route(hostIp, protocol, hostAddrs),
      };
      const key = forwardKey(spec);
      const seen = byKey.get(key);
      // docker lists a default publish twice (0.0.0.0 and ::): prefer the IPv4 proxy.
      if (!seen || (net.isIPv6(seen.guestHost) && net.isIPv4(spec.guestHost))) byKey.set(key, spec);
      // A TCP wildcard publish gets a ::1 listener of ours beside its forward (`localhost` may
      // resolve to ::1 first): best effort, the host may have no IPv6 loopback.
      if (WILDCARDS.has(hostIp) && protocol === 'tcp') {
        const v6: ForwardSpec = {
          ...spec,
          hostIp: '::1',
          guestHost: '127.0.0.1',
          userNet: false,
          userNetTarget: undefined,
          optional: true,
        };
        if (!byKey.has(forwardKey(v6))) byKey.set(forwardKey(v6), v6);
      }
    }
  }
  return [...byKey.values()];
}

/** TCP and UDP ports are separate spaces: 53/tcp and 53/udp can both be forwarded. */
export function forwardKey(p: { hostIp: string; hostPort: number; protocol: 'tcp' | 'udp' }): string {
  return `${p.protocol}|${p.hostIp}|${p.hostPort}`;
}

export function publicView(s: ForwardSpec): PublishedPort {
  return {
    containerId: s.containerId,
    container: s.container,
    containerPort: s.containerPort,
    hostIp: s.hostIp,
    hostPort: s.hostPort,
  };
}
