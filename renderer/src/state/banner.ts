// The hidden-store banner's sentence, exactly as the product spells it, for either active store.
import type { StoreStatus } from '../../../electron/node-host/api/store-types.ts';
import { formatMB } from '../format.ts';
import { otherStore } from '../../../engine/shared/image-store.ts';

export function hiddenStoreText(st: Pick<StoreStatus, 'active' | 'hidden'>): string | null {
  const { images, bytes, containers } = st.hidden;
  if (images === 0 && containers === 0) return null;
  const hidden = otherStore(st.active);
  return `${images} images (${formatMB(bytes)} MB) and ${containers} containers from the ${hidden} image store are hidden while the ${st.active} image store is active`;
}
