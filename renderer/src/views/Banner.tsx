// The hidden-store banner: what the inactive image store holds, with the way back and the way
// to bring the images over.
import type { ReactNode } from 'react';
import { useClient, useDash } from '../context.ts';
import { hiddenStoreText } from '../state/banner.ts';
import { ErrorText, useAction } from './common.tsx';

export function HiddenStoreBanner(): ReactNode {
  const status = useDash((s) => s.store?.value);
  const progress = useDash((s) => s.storeProgress);
  const client = useClient();
  const act = useAction();
  if (!status) return null;
  const text = hiddenStoreText(status);
  if (!text) return null;
  const other = status.active === 'containerd' ? 'classic' : 'containerd';
  return (
    <section className="banner" aria-label="Hidden image store" data-testid="hidden-store-banner">
      <p>{text}</p>
      <div className="actions">
        <button type="button" disabled={act.busy} onClick={() => void act.run(() => client.call('store.switch', { store: other }))}>Switch back</button>
        {status.active === 'containerd' ? (
          <button type="button" disabled={act.busy} onClick={() => void act.run(() => client.call('store.migrate', {}))}>Migrate images</button>
        ) : null}
        {act.busy ? <span className="muted" role="status">{progress.at(-1) ?? 'Working…'}</span> : null}
      </div>
      <ErrorText error={act.error} />
    </section>
  );
}
