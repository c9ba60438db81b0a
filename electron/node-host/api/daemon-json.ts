// The daemon.json rules, once: which key the image-store toggle owns, which keys Berth itself
// sets, and the types of the keys dockerd would reject at start (a bad daemon.json keeps dockerd
// from starting at all). The settings service, the dashboard's editor and the guest agent use
// these. Browser-safe.
import { z } from 'zod';

export {
  SNAPSHOTTER_FEATURE,
  BERTH_DAEMON_DEFAULTS,
  RESERVED_DAEMON_KEYS,
} from '../../../engine/shared/daemon-json-keys.ts';
import { SNAPSHOTTER_FEATURE, RESERVED_DAEMON_KEYS } from '../../../engine/shared/daemon-json-keys.ts';

const strings = z.array(z.string());
const known = {
  debug: z.boolean(),
  experimental: z.boolean(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error', 'fatal']),
  'insecure-registries': strings,
  'registry-mirrors': z.array(z.string().regex(/^https?:\/\/\S+$/, 'a mirror is an http:// or https:// URL')),
  dns: strings,
  'dns-search': strings,
  'default-address-pools': z.array(z.object({ base: z.string(), size: z.number().int() })),
  features: z.record(z.string(), z.boolean()),
  builder: z.record(z.string(), z.unknown()),
  'log-driver': z.string(),
  'log-opts': z.record(z.string(), z.string()),
  'max-concurrent-downloads': z.number().int().min(1),
  'max-concurrent-uploads': z.number().int().min(1),
  mtu: z.number().int().min(68),
  ipv6: z.boolean(),
  'live-restore': z.boolean(),
} as const;

export interface DaemonJsonIssue {
  path: string[];
  message: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Berth's own rules (store key, reserved keys), in the order a person should fix them. */
export function berthRuleIssues(obj: Record<string, unknown>): DaemonJsonIssue[] {
  const issues: DaemonJsonIssue[] = [];
  const features = obj.features;
  if (features !== undefined && !isObject(features))
    issues.push({ path: ['features'], message: 'must be a JSON object' });
  if (isObject(features) && SNAPSHOTTER_FEATURE in features) {
    issues.push({
      path: ['features', SNAPSHOTTER_FEATURE],
      message:
        'cannot be set here: the image store is chosen by the useContainerdSnapshotter setting ("Use containerd for pulling and storing images" in General)',
    });
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
    if (!r.success)
      for (const i of r.error.issues) issues.push({ path: [key, ...i.path.map(String)], message: i.message });
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
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`not valid JSON: ${(e as Error).message}`] };
  }
  if (!isObject(parsed)) return { ok: false, errors: ['daemon.json must be a JSON object: { … }'] };
  const r = DaemonJsonSchema.safeParse(parsed);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}
