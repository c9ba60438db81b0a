// What each store holds: images from the stores themselves (disk metadata for classic, containerd
// for the containerd store), containers from dockerd (active) and its on-disk records (hidden).
import fs from 'node:fs';
import { readClassicImages } from './classic-store.ts';
import { readContainerdImages } from './containerd-store.ts';
import { ContainerdClient } from './containerd-client.ts';
import { CONTAINER_DRIVER, readContainersOnDisk } from './containers-on-disk.ts';
import { dockerInfo, dockerJson, storeFromInfo } from './docker-api.ts';
import {
  toStoreEnum,
  type ContainerInfo,
  type InventoryReply,
  type StoreInventory,
  type StoreName,
} from './agent-types.ts';
import { otherStore } from '../shared/image-store.ts';

interface ApiContainer {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Created: number;
}

export async function readStoreImages(store: StoreName): Promise<StoreInventory['images']> {
  if (store === 'classic') return readClassicImages();
  const ctr = new ContainerdClient();
  try {
    return await readContainerdImages(ctr);
  } finally {
    ctr.close();
  }
}

export async function inventory(): Promise<InventoryReply> {
  const active = storeFromInfo(await dockerInfo());
  const hidden: StoreName = otherStore(active);
  const live = await dockerJson<ApiContainer[]>('GET', '/containers/json?all=1');
  const activeContainers: ContainerInfo[] = live.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    state: c.State,
    created: c.Created,
  }));
  const hiddenContainers = readContainersOnDisk()
    .filter((c) => c.driver === CONTAINER_DRIVER[hidden])
    .map(({ driver: _d, volumes: _v, ...c }) => c);
  const build = async (store: StoreName, containers: ContainerInfo[]): Promise<StoreInventory> => {
    const images = await readStoreImages(store);
    return { store: toStoreEnum(store), images, containers, total_image_bytes: images.reduce((s, i) => s + i.size, 0) };
  };
  return {
    active: await build(active, activeContainers),
    hidden: await build(hidden, hiddenContainers),
    disk_free_bytes: diskFree('/var/lib/docker'),
  };
}

export function diskFree(dir: string): number {
  const st = fs.statfsSync(dir);
  return st.bavail * st.bsize;
}
