// The hidden-store banner: what the inactive image store holds, with the way back, the way to
// bring the images over, and the way to give its space back (after a confirmation; never automatic).
import { useState, type ReactNode } from 'react';
import type { ImageStore } from '../../../electron/node-host/api/store-types.ts';
import { useClient, useDash } from '../context.ts';
import { hiddenStoreText } from '../state/banner.ts';
import { ErrorText, useAction } from './common.tsx';
import { ReclaimDialog } from './ReclaimDialog.tsx';
import { otherStore } from '../../../engine/shared/image-store.ts';

export function HiddenStoreBanner(): ReactNode {
  const status = useDash((s) => s.store?.value);
  const progress = useDash((s) => s.storeProgress);
  const client = useClient();
  const act = useAction();
  const [reclaiming, setReclaiming] = useState<ImageStore | null>(null);
  // The dialog outlives the banner (same place in the tree): after a reclaim the banner goes, and
  // the result stays readable.
  const dialog = reclaiming ? <ReclaimDialog store={reclaiming} onClose={() => setReclaiming(null)} /> : null;
  const text = status ? hiddenStoreText(status) : null;
  if (!status || !text)
    return (
      <>
        {null}
        {dialog}
      </>
    );
  const other = otherStore(status.active);
  return (
    <>
      <section className="banner" aria-label="Hidden image store" data-testid="hidden-store-banner">
        <p>{text}</p>
        <div className="actions">
          <button
            type="button"
            disabled={act.busy}
            onClick={() => void act.run(() => client.call('store.switch', { store: other }))}
          >
            Switch back
          </button>
          {status.active === 'containerd' ? (
            <button
              type="button"
              disabled={act.busy}
              onClick={() => void act.run(() => client.call('store.migrate', {}))}
            >
              Migrate images
            </button>
          ) : null}
          <button type="button" disabled={act.busy} onClick={() => setReclaiming(other)}>
            Reclaim space…
          </button>
          {act.busy ? (
            <span className="muted" role="status">
              {progress.at(-1) ?? 'Working…'}
            </span>
          ) : null}
        </div>
        <ErrorText error={act.error} />
      </section>
      {dialog}
    </>
  );
}
