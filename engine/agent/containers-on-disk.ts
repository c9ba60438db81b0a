// Containers as dockerd stores them (/var/lib/docker/containers/*/config.v2.json). Both stores keep
// their containers there; dockerd loads only those whose Driver matches its own storage driver,
// which is what hides the other store's containers.
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerInfo } from './agent-types.ts';

interface ContainerConfig {
  ID?: string;
  Name?: string;
  Created?: string;
  Driver?: string;
  Config?: { Image?: string };
  State?: { Running?: boolean; Dead?: boolean; StartedAt?: string; ExitCode?: number };
  MountPoints?: Record<string, { Name?: string; Type?: string }>;
}

export interface DiskContainer extends ContainerInfo {
  driver: string;
  /** Named volumes it mounts: a volume is shared by both stores, so either store's use counts. */
  volumes: string[];
}

export function readContainersOnDisk(dockerRoot = '/var/lib/docker'): DiskContainer[] {
  const dir = path.join(dockerRoot, 'containers');
  if (!fs.existsSync(dir)) return [];
  const out: DiskContainer[] = [];
  for (const id of fs.readdirSync(dir)) {
    let c: ContainerConfig;
    try {
      c = JSON.parse(fs.readFileSync(path.join(dir, id, 'config.v2.json'), 'utf8')) as ContainerConfig;
    } catch {
      continue;
    }
    const started = c.State?.StartedAt && !c.State.StartedAt.startsWith('0001-');
    out.push({
      id: c.ID ?? id,
      name: (c.Name ?? '').replace(/^\//, ''),
      image: c.Config?.Image ?? '',
      // A hidden container is never running: dockerd stopped it before switching stores.
      state: c.State?.Dead ? 'dead' : started ? 'exited' : 'created',
      created: c.Created ? Math.floor(Date.parse(c.Created) / 1000) : 0,
      driver: c.Driver ?? '',
      volumes: Object.values(c.MountPoints ?? {})
        .filter((m) => m.Type === 'volume' && m.Name)
        .map((m) => m.Name!),
    });
  }
  return out;
}

/** The graph driver / snapshotter name dockerd records for containers of each store. */
export const CONTAINER_DRIVER = { classic: 'overlay2', containerd: 'overlayfs' } as const;
