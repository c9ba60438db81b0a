// The daemon.json rules, once: which key the image-store toggle owns, which keys Berth itself
// sets, and the types of the keys dockerd would reject at start (a bad daemon.json keeps dockerd
// from starting at all). The settings service, the dashboard's editor and the guest agent use
// these. Browser-safe.
import { z } from 'zod';

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
  'hosts': 'Berth sets dockerd\'s listening socket itself (-H fd://); dockerd would refuse to start',
  'containerd': 'Berth points dockerd at the VM\'s containerd itself (--containerd); dockerd would refuse to start',
  'data-root': 'the image stores live on the VM\'s data disk at the standard path',
  'exec-root': 'Berth forwards dockerd\'s socket from the standard path',
  'pidfile': 'systemd in the VM tracks dockerd',
};

const strings = z.array(z.string());
const known = {
  'debug': z.boolean(),
  'experimental': z.boolean(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error', 'fatal']),
  'insecure-registries': strings,
  'registry-mirrors': z.array(z.string().regex(/^https?:\/\/\S+$/, 'a mirror is an http:// or https:// URL')),
  'dns': strings,
  'dns-search': strings,
  'default-address-pools': z.array(z.object({ base: z.string(), size: z.number().int() })),
  'features': z.record(z.string(), z.boolean()),
  'builder': z.record(z.string(), z.unknown()),
  'log-driver': z.string(),
  'log-opts': z.record(z.string(), z.string()),
  'max-concurrent-downloads': z.number().int().min(1),
  'max-concurrent-uploads': z.number().int().min(1),
  'mtu': z.number().int().min(68),
  'ipv6': z.boolean(),
  'live-restore': z.boolean(),
} as const;

export interface DaemonJsonIssue { path: string[]; message: string }

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Berth's own rules (store key, reserved keys), in the order a person should fix them. */
export function berthRuleIssues(obj: Record<string, unknown>): DaemonJsonIssue[] {
  const issues: DaemonJsonIssue[] = [];
  const features = obj.features;
  if (features !== undefined && !isObject(features)) issues.push({ path: ['features'], message: 'must be a JSON object' });
  if (isObject(features) && SNAPSHOTTER_FEATURE in features) {
    issues.push({ path: ['features', SNAPSHOTTER_FEATURE],
      message: 'cannot be set here: the image store is chosen by the useContainerdSnapshotter setting ("Use containerd for pulling and storing images" in General)' });
  }
  for (const [key, why] of Object.entries(RESERVED_DAEMON_KEYS)) {
    if (key in obj) issues.push({ path: [key], message: `cannot be set: it is managed by Berth (${why})` });
  }
  return issues;
}

/** The known keys whose value dockerd would refuse. */
export function typeIssues(obj: Record<string, unknown>): DaemonJsonIssue[] {
  const issues: DaemonJsonIssue[] = [];
  for (const [key, schema] of Object.entries(known)) {
    if (!(key in obj)) continue;
    const r = schema.safeParse(obj[key]);
    if (!r.success) for (const i of r.error.issues) issues.push({ path: [key, ...i.path.map(String)], message: i.message });
  }
  return issues;
}

export const DaemonJsonSchema = z.record(z.string(), z.unknown()).superRefine((obj, ctx) => {
  const rules = berthRuleIssues(obj);
  const rulePaths = new Set(rules.map((i) => i.path[0]));
  for (const i of [...rules, ...typeIssues(obj).filter((t) => !rulePaths.has(t.path[0]))]) {
    ctx.addIssue({ code: 'custom', path: i.path, message: i.message });
  }
});
export type DaemonJson = z.infer<typeof DaemonJsonSchema>;

export type DaemonJsonCheck = { ok: true; value: DaemonJson } | { ok: false; errors: string[] };

/** Validates the editor's text; errors name the key and say what is wrong. */
export function checkDaemonJson(text: string): DaemonJsonCheck {
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch (e) {
    return { ok: false, errors: [`not valid JSON: ${(e as Error).message}`] };
  }
  if (!isObject(parsed)) return { ok: false, errors: ['daemon.json must be a JSON object: { … }'] };
  const r = DaemonJsonSchema.safeParse(parsed);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}
