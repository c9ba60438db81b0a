// BuildKit's attestation storage (docs/attestations/attestation-storage.md in moby/buildkit): an
// index lists each attestation manifest beside the platform manifests, marked by annotations, and
// the manifest's layers are in-toto statements whose predicate type each layer's annotation names.
import type { Descriptor } from './containerd-client.ts';

export const REFERENCE_TYPE = 'vnd.docker.reference.type';
export const REFERENCE_DIGEST = 'vnd.docker.reference.digest';
export const PREDICATE_TYPE = 'in-toto.io/predicate-type';

interface IndexEntry extends Descriptor {
  platform?: { os?: string };
}

/**
 * An attestation manifest by its annotation; a manifest for unknown/unknown without one is taken
 * for one too (older BuildKit), since no runnable image has that platform.
 */
export function isAttestationManifest(d: IndexEntry): boolean {
  return d.annotations?.[REFERENCE_TYPE] === 'attestation-manifest' || d.platform?.os === 'unknown';
}

/** The manifest an attestation manifest is about ('' when the index does not say). */
export function attestedDigest(d: Descriptor): string {
  return d.annotations?.[REFERENCE_DIGEST] ?? '';
}

/** Each distinct predicate type of the attestation manifest's layers, in their order. */
export function predicateTypes(manifest: { layers?: Descriptor[] } | undefined): string[] {
  const types = (manifest?.layers ?? []).map((l) => l.annotations?.[PREDICATE_TYPE]).filter((t): t is string => !!t);
  return [...new Set(types)];
}
