// Volumes are shared by both image stores, but dockerd only knows the active store's containers:
// a volume that only a hidden container uses looks unused to it (and `docker volume prune` would
// delete it). So each volume's users come from the guest agent, which reads both stores, and
// removal and prune are refused or skipped here for a volume any container of either store uses.
import type Docker from 'dockerode';
import type { AgentClient } from '../../../engine/host/agent-client.ts';
import { fromStoreEnum, type VolumeMount } from '../../../engine/agent/agent-types.ts';
import { ApiError } from '../api/contract.ts';
import type { Volume } from '../api/volume-types.ts';
import { engineError } from './docker-service.ts';

export interface VolumeDeps {
  docker: () => Docker;
  agent: () => AgentClient;
}

interface DfVolume {
  Name: string;
  Driver?: string;
  CreatedAt?: string;
  UsageData?: { Size?: number } | null;
}

export class VolumeService {
  constructor(private readonly d: VolumeDeps) {}

  async list(): Promise<Volume[]> {
    // /system/df: the volumes with their sizes (dockerd measures them); the agent: who uses each.
    const [df, usage] = await Promise.all([volumesDf(this.d.docker()), this.d.agent().diskUsage(true)]);
    const byVolume = groupMounts(usage.mounts);
    return (df.Volumes ?? [])
      .map((v) => ({
        name: v.Name,
        driver: v.Driver ?? 'local',
        ...(v.CreatedAt ? { createdAt: v.CreatedAt } : {}),
        ...(v.UsageData?.Size !== undefined && v.UsageData.Size >= 0 ? { bytes: v.UsageData.Size } : {}),
        usedBy: byVolume.get(v.Name) ?? [],
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(name?: string): Promise<{ name: string }> {
    try {
      // dockerode answers with its Volume handle (name), not dockerd's JSON.
      const v = (await this.d.docker().createVolume(name ? { Name: name } : {})) as unknown as { name: string };
      return { name: v.name };
    } catch (e) {
      throw engineError(e);
    }
  }

  async remove(name: string): Promise<void> {
    const users = groupMounts((await this.d.agent().diskUsage(true)).mounts).get(name) ?? [];
    if (users.length) throw inUse(name, users);
    try {
      await this.d.docker().getVolume(name).remove();
    } catch (e) {
      throw engineError(e);
    }
  }

  /** Removes every volume no container of either store uses (dockerd's own prune sees one store). */
  async prune(): Promise<{ removed: string[]; reclaimedBytes: number }> {
    const removed: string[] = [];
    let reclaimedBytes = 0;
    for (const v of await this.list()) {
      if (v.usedBy.length) continue;
      try {
        await this.d.docker().getVolume(v.name).remove();
        removed.push(v.name);
        reclaimedBytes += v.bytes ?? 0;
      } catch {
        /* taken into use meanwhile: kept */
      }
    }
    return { removed, reclaimedBytes };
  }
}

/** /system/df?type=volume: dockerd sizes the volumes only, not every image and container. */
function volumesDf(docker: Docker): Promise<{ Volumes?: DfVolume[] | null }> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: '/system/df?',
        method: 'GET',
        options: { type: 'volume' },
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      },
      (err: unknown, data: unknown) =>
        err ? reject(engineError(err)) : resolve(data as { Volumes?: DfVolume[] | null }),
    );
  });
}

export function groupMounts(mounts: VolumeMount[]): Map<string, Volume['usedBy']> {
  const out = new Map<string, Volume['usedBy']>();
  for (const m of mounts) {
    const list = out.get(m.volume) ?? [];
    list.push({
      store: fromStoreEnum(m.store) ?? 'classic',
      containerId: m.container_id,
      containerName: m.container_name,
      running: m.running,
    });
    out.set(m.volume, list);
  }
  return out;
}

export function inUse(name: string, users: Volume['usedBy']): ApiError {
  const who = users
    .map(
      (u) =>
        `${u.containerName || u.containerId.slice(0, 12)} (${u.store} store, ${u.running ? 'running' : 'stopped'})`,
    )
    .join(', ');
  return new ApiError(`volume ${name} is in use by container ${who}: remove the container first`, 409);
}
