// An image's variants as the contract gives them: its platforms, then its attestation manifests,
// each naming the platform it is about (the agent gives that platform's manifest digest).
import type { ImageInfo } from '../../../engine/agent/agent-types.ts';
import type { PlatformVariant } from '../api/store-types.ts';

const platformName = (p: { os: string; architecture: string; variant: string }): string =>
  [p.os, p.architecture, p.variant].filter(Boolean).join('/') || 'unknown/unknown';

export function imageVariants(i: ImageInfo): PlatformVariant[] {
  const byDigest = new Map(i.platforms.map((p) => [p.digest, platformName(p)]));
  const sized = (digest: string, size: number) => ({ ...(digest ? { digest } : {}), ...(size ? { size } : {}) });
  return [
    ...i.platforms.map((p) => ({ platform: platformName(p), present: p.present, ...sized(p.digest, p.size) })),
    // Attestation manifests keep their unknown/unknown platform: the dashboard lists them after the platforms.
    ...i.attestations.map((a) => ({
      platform: 'unknown/unknown',
      present: a.present,
      ...sized(a.digest, a.size),
      attestation: { subject: byDigest.get(a.reference_digest) ?? '', predicateTypes: a.predicate_types },
    })),
  ];
}
