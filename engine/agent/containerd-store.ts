// Lists the containerd image store (images in containerd's "moby" namespace), platform by platform:
// an index lists every platform, but only some may have their content on disk.
import type { ImageInfo } from './agent-types.ts';
import type { ContainerdClient, Descriptor } from './containerd-client.ts';
import { attestedDigest, isAttestationManifest, predicateTypes } from './attestations.ts';

interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
}
interface Index {
  manifests: Array<Descriptor & { platform?: { os?: string; architecture?: string; variant?: string } }>;
}
interface ImageConfig {
  created?: string;
  os?: string;
  architecture?: string;
  variant?: string;
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const DANGLING_PREFIX = 'moby-dangling@';

export async function readContainerdImages(ctr: ContainerdClient, hostArch = 'amd64'): Promise<ImageInfo[]> {
  const byTarget = new Map<string, { target: Descriptor; refs: string[] }>();
  for (const img of await ctr.listImages()) {
    const entry = byTarget.get(img.target.digest) ?? { target: img.target, refs: [] };
    if (!img.name.startsWith(DANGLING_PREFIX)) entry.refs.push(img.name);
    byTarget.set(img.target.digest, entry);
  }
  // Untagged parents are the legacy builder's intermediate images: `docker images` hides them too.
  const parents = new Set<string>();
  for (const img of await ctr.listImages()) {
    for (const [k, v] of Object.entries(img.labels ?? {})) if (k.endsWith('image.parent')) parents.add(v);
  }
  const out: ImageInfo[] = [];
  for (const { target, refs } of byTarget.values()) {
    if (refs.length === 0 && parents.has(target.digest)) continue;
    try {
      out.push(await describe(ctr, target, refs.sort(), hostArch));
    } catch {
      /* content gone mid-read: skip */
    }
  }
  return out.sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
}

async function describe(
  ctr: ContainerdClient,
  target: Descriptor,
  refs: string[],
  hostArch: string,
): Promise<ImageInfo> {
  const seen = new Set<string>();
  let size = 0;
  /** The blob's bytes (null: not on disk), added once to the image's total. */
  const count = async (d: Descriptor): Promise<number | null> => {
    const s = await ctr.blobSize(d.digest);
    if (s !== null && !seen.has(d.digest)) {
      seen.add(d.digest);
      size += s;
    }
    return s;
  };
  /** A manifest's own bytes on disk (manifest, config, layers), and whether all of it is there. */
  const manifestPresent = async (d: Descriptor): Promise<{ present: boolean; manifest?: Manifest; bytes: number }> => {
    const ms = await count(d);
    if (ms === null) return { present: false, bytes: 0 };
    const m = await ctr.readJson<Manifest>(d.digest);
    let bytes = ms;
    let present = true;
    for (const x of [m.config, ...(m.layers ?? [])]) {
      const s = await count(x);
      if (s === null) present = false;
      else bytes += s;
    }
    return { present, manifest: m, bytes };
  };

  await count(target);
  const platforms: ImageInfo['platforms'] = [];
  const attestations: ImageInfo['attestations'] = [];
  let chosen: Manifest | undefined;
  if (INDEX_TYPES.has(target.media_type)) {
    const index = await ctr.readJson<Index>(target.digest);
    for (const m of index.manifests ?? []) {
      const { present, manifest, bytes } = await manifestPresent(m);
      // Attestations ride in the index as unknown/unknown manifests: listed apart, not a platform.
      if (isAttestationManifest(m)) {
        attestations.push({
          digest: m.digest,
          present,
          size: bytes,
          reference_digest: attestedDigest(m),
          predicate_types: predicateTypes(manifest),
        });
        continue;
      }
      platforms.push({
        os: m.platform?.os ?? '',
        architecture: m.platform?.architecture ?? '',
        variant: m.platform?.variant ?? '',
        present,
        digest: m.digest,
        size: bytes,
      });
      if (present && manifest && (!chosen || m.platform?.architecture === hostArch)) chosen = manifest;
    }
  } else {
    const { present, manifest, bytes } = await manifestPresent(target);
    chosen = manifest;
    const cfg =
      manifest && (await ctr.blobSize(manifest.config.digest)) !== null
        ? await ctr.readJson<ImageConfig>(manifest.config.digest)
        : {};
    platforms.push({
      os: cfg.os ?? '',
      architecture: cfg.architecture ?? '',
      variant: cfg.variant ?? '',
      present,
      digest: target.digest,
      size: bytes,
    });
  }
  const cfg = chosen ? await ctr.readJson<ImageConfig>(chosen.config.digest) : {};
  return {
    id: target.digest,
    refs,
    config_digest: chosen?.config.digest ?? '',
    size,
    created: cfg.created ? Math.floor(Date.parse(cfg.created) / 1000) : 0,
    platforms,
    attestations,
    dangling: refs.length === 0,
  };
}
