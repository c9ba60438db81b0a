// Reads the classic (overlay2 graph driver) image store straight from /var/lib/docker metadata, so
// it can be listed while dockerd runs on the containerd store and cannot be asked.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ImageInfo } from './agent-types.ts';

interface ImageConfig {
  created?: string;
  os?: string;
  architecture?: string;
  variant?: string;
  rootfs?: { diff_ids?: string[] };
}

const hex = (digest: string): string => digest.replace(/^sha256:/, '');

/** chainID(L1) = diffID(L1); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev ? `sha256:${crypto.createHash('sha256').update(`${prev} ${d}`).digest('hex')}` : d);
  }
  return out;
}

export function readClassicImages(dockerRoot = '/var/lib/docker'): ImageInfo[] {
  const base = path.join(dockerRoot, 'image', 'overlay2');
  const contentDir = path.join(base, 'imagedb', 'content', 'sha256');
  if (!fs.existsSync(contentDir)) return [];
  const refsById = new Map<string, string[]>();
  try {
    const repos = JSON.parse(fs.readFileSync(path.join(base, 'repositories.json'), 'utf8')) as {
      Repositories?: Record<string, Record<string, string>>;
    };
    for (const tags of Object.values(repos.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(tags)) {
        if (ref.includes('@')) continue; // digest refs duplicate the tag refs
        refsById.set(id, [...(refsById.get(id) ?? []), ref]);
      }
    }
  } catch {
    /* no repositories.json yet: only untagged images */
  }

  // Untagged parents are the legacy builder's intermediate images: `docker images` hides them too.
  const parents = new Set<string>();
  const metaDir = path.join(base, 'imagedb', 'metadata', 'sha256');
  for (const name of fs.existsSync(metaDir) ? fs.readdirSync(metaDir) : []) {
    try {
      parents.add(fs.readFileSync(path.join(metaDir, name, 'parent'), 'utf8').trim());
    } catch {
      /* no parent */
    }
  }

  const images: ImageInfo[] = [];
  for (const name of fs.readdirSync(contentDir)) {
    const id = `sha256:${name}`;
    if (!refsById.has(id) && parents.has(id)) continue;
    let cfg: ImageConfig;
    try {
      cfg = JSON.parse(fs.readFileSync(path.join(contentDir, name), 'utf8')) as ImageConfig;
    } catch {
      continue;
    }
    const size = chainIds(cfg.rootfs?.diff_ids ?? []).reduce((sum, chain) => {
      try {
        return sum + Number(fs.readFileSync(path.join(base, 'layerdb', 'sha256', hex(chain), 'size'), 'utf8'));
      } catch {
        return sum;
      }
    }, 0);
    const refs = (refsById.get(id) ?? []).sort();
    images.push({
      id,
      refs,
      config_digest: id,
      size,
      created: cfg.created ? Math.floor(Date.parse(cfg.created) / 1000) : 0,
      platforms: [
        {
          os: cfg.os ?? '',
          architecture: cfg.architecture ?? '',
          variant: cfg.variant ?? '',
          present: true,
          digest: id,
          size,
        },
      ],
      attestations: [],
      dangling: refs.length === 0,
    });
  }
  return images.sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
}
