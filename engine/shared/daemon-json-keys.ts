// The daemon.json keys Berth owns or sets, without a validator: the guest agent imports these,
// and zod (the validator in daemon-json.ts) was most of the agent's bundle and of its start-up
// under emulation. Browser-safe.

/** features.<this> selects the image store; only the "Use containerd…" toggle writes it. */
export const SNAPSHOTTER_FEATURE = 'containerd-snapshotter';

/**
 * Berth's own defaults for dockerd, beneath the user's keys (a user key of the same name wins).
 * iptables: dockerd's start-up spends most of its time in iptables calls, which an emulated VM
 * makes slow (measured under TCG: a dockerd restart 17.7 s with them, 8.9 s without). Without
 * them published ports go through docker-proxy, the VM masquerades containers' outbound traffic
 * itself (berth-init), and containers on different user networks are not isolated from each
 * other by firewall rules. `"iptables": true` in the Docker Engine settings brings them back.
 * ip6tables: dockerd 27+ still sets up its IPv6 chains (about 60 ip6tables calls) when iptables
 * is off: 2.8 to 3.3 s of every dockerd start under TCG (measured, dockerd 28.5). The default
 * bridge has no IPv6; a user's IPv6 network gets no ip6tables NAT, as with iptables off.
 */
export const BERTH_DAEMON_DEFAULTS: Readonly<Record<string, boolean>> = { iptables: false, ip6tables: false };

/** Keys Berth sets on dockerd's command line or in the VM: a daemon.json copy would stop dockerd or cut Berth off. */
export const RESERVED_DAEMON_KEYS: Readonly<Record<string, string>> = {
  hosts: "Berth sets dockerd's listening socket itself (-H fd://); dockerd would refuse to start",
  containerd: "Berth points dockerd at the VM's containerd itself (--containerd); dockerd would refuse to start",
  'data-root': "the image stores live on the VM's data disk at the standard path",
  'exec-root': "Berth forwards dockerd's socket from the standard path",
  pidfile: 'systemd in the VM tracks dockerd',
};
