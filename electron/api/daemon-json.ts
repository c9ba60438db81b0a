// daemon.json as the Docker Engine tab edits it: parse, then check the keys whose type the
// engine would reject at start (a bad daemon.json keeps dockerd from starting at all).
import { z } from 'zod';

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

export const DaemonJsonSchema = z.record(z.string(), z.unknown()).superRefine((obj, ctx) => {
  for (const [key, schema] of Object.entries(known)) {
    if (!(key in obj)) continue;
    const r = schema.safeParse(obj[key]);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: [key, ...issue.path.map(String)], message: issue.message });
    }
  }
  const features = obj.features;
  if (features && typeof features === 'object' && 'containerd-snapshotter' in features) {
    ctx.addIssue({ code: 'custom', path: ['features', 'containerd-snapshotter'],
      message: 'set by "Use containerd for pulling and storing images" in General, not here' });
  }
  // Keys only the VM's own configuration may set: changing them would cut Berth off the engine.
  for (const key of ['hosts', 'data-root', 'exec-root', 'pidfile', 'containerd']) {
    if (key in obj) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is managed by Berth and cannot be changed` });
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
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, errors: ['daemon.json must be a JSON object: { … }'] };
  const r = DaemonJsonSchema.safeParse(parsed);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
}
