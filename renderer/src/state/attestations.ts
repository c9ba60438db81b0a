// What an index's attestation manifests state, in words: in-toto predicate types by name (the
// SBOM formats BuildKit's scanners write, SLSA provenance), unknown types as they are.
import type { PlatformVariant } from '../../../electron/node-host/api/store-types.ts';

const SBOM_FORMATS: Array<[prefix: string, format: string]> = [
  ['https://spdx.dev/Document', 'SPDX'],
  ['https://cyclonedx.org/bom', 'CycloneDX'],
];
const PROVENANCE = 'https://slsa.dev/provenance/';

/** 'SBOM', 'provenance', or the predicate type itself. */
export function predicateKind(type: string): string {
  if (SBOM_FORMATS.some(([p]) => type.startsWith(p))) return 'SBOM';
  return type.startsWith(PROVENANCE) ? 'provenance' : type;
}

/** e.g. 'SBOM (SPDX)', 'provenance (SLSA v0.2)'. */
export function predicateLabel(type: string): string {
  const sbom = SBOM_FORMATS.find(([p]) => type.startsWith(p));
  if (sbom) return `SBOM (${sbom[1]})`;
  return type.startsWith(PROVENANCE) ? `provenance (SLSA ${type.slice(PROVENANCE.length)})` : type;
}

/** The kinds an image's attestation manifests hold, once each: 'SBOM, provenance'. */
export function attestationKinds(variants: PlatformVariant[]): string[] {
  return [...new Set(variants.flatMap((v) => v.attestation?.predicateTypes ?? []).map(predicateKind))];
}

/** What an attestation manifest is about: 'attestations of linux/amd64'. */
export function attestationSubject(v: PlatformVariant): string {
  return v.attestation?.subject ? `attestations of ${v.attestation.subject}` : 'attestation manifest';
}

/** What it states, by name; or, when its content is not in the store, where it is. */
export function attestationStatements(v: PlatformVariant): string[] {
  const types = v.attestation?.predicateTypes ?? [];
  if (types.length) return types.map(predicateLabel);
  // dockerd 28 pulls an index without its attestation manifests: they stay in the registry.
  return v.present ? [] : ['kept in the registry'];
}

/** The whole line, for a tooltip or a screen reader. */
export function attestationText(v: PlatformVariant): string {
  const what = attestationStatements(v);
  return what.length ? `${attestationSubject(v)}: ${what.join(', ')}` : attestationSubject(v);
}
