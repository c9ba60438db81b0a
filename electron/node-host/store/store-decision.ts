// Which image store to use when the settings file cannot say (a file from before the toggle, a
// hand-written partial one, a corrupt one): the data disk decides, the way moby 29 picks its own
// default. A classic store that holds images or containers stays active, so nobody's images
// vanish after an update; otherwise the containerd store, as on a clean install.
import type { InventoryReply } from '../../../engine/agent/agent-types.ts';
import type { ImageStore } from '../../../engine/shared/image-store.ts';

/** What the classic store on the data disk holds; null when there is no data disk at all. */
export interface ClassicContents {
  images: number;
  containers: number;
}

export interface StoreDecision {
  store: ImageStore;
  reason: string;
}

export function decideStore(why: string, classic: ClassicContents | null): StoreDecision {
  if (classic === null)
    return {
      store: 'containerd',
      reason: `${why}, and there is no data disk yet: the containerd image store, as on a clean install`,
    };
  if (classic.images + classic.containers > 0) {
    return {
      store: 'classic',
      reason: `${why}, and the classic image store on the data disk holds ${classic.images} images and ${classic.containers} containers: the classic store stays active`,
    };
  }
  return {
    store: 'containerd',
    reason: `${why}, and the classic image store on the data disk is empty: the containerd image store`,
  };
}

/** The classic store's contents from the guest agent's inventory (active or hidden, whichever it is). */
export async function classicContents(agent: { inventory(): Promise<InventoryReply> }): Promise<ClassicContents> {
  const inv = await agent.inventory();
  const classic = [inv.active, inv.hidden].find((s) => s.store === 'IMAGE_STORE_CLASSIC');
  return { images: classic?.images.length ?? 0, containers: classic?.containers.length ?? 0 };
}
