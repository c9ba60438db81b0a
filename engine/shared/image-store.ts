// The image-store vocabulary, once, below everything that uses it: the settings' boolean, the
// store's name, and how dockerd says which one it runs. Browser-safe (the guest agent bundles it too).

/** The two image stores on the VM's data disk. */
export const IMAGE_STORES = ['containerd', 'classic'] as const;
export type ImageStore = (typeof IMAGE_STORES)[number];

/** The store the settings select ("Use containerd for pulling and storing images"). */
export function storeOf(settings: { useContainerdSnapshotter: boolean }): ImageStore {
  return settings.useContainerdSnapshotter ? 'containerd' : 'classic';
}

/** The settings value that selects a store. */
export function storeSetting(store: ImageStore): { useContainerdSnapshotter: boolean } {
  return { useContainerdSnapshotter: store === 'containerd' };
}

export function otherStore(store: ImageStore): ImageStore {
  return store === 'containerd' ? 'classic' : 'containerd';
}

/**
 * dockerd's own answer: `docker info` lists driver-type io.containerd.snapshotter.v1 in
 * DriverStatus when the containerd store is active. Pairs ([k, v]) or "k=v" strings.
 */
export function storeFromDriverStatus(
  status: ReadonlyArray<readonly [string, string] | string> | null | undefined,
): ImageStore {
  const on = (status ?? []).some((e) => {
    const [k, v] = typeof e === 'string' ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : e;
    return k === 'driver-type' && (v ?? '').startsWith('io.containerd.snapshotter');
  });
  return on ? 'containerd' : 'classic';
}

export const STORE_LABEL: Readonly<Record<ImageStore, string>> = {
  containerd: 'the containerd image store',
  classic: 'the classic overlay2 store',
};
