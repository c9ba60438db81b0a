// Reclaim the hidden store's space: a dialog that lists what goes (the host's plan: images by
// tag, containers, build cache, total) and suggests migrating first when classic tags would be
// lost; only the Reclaim button deletes, with the host's progress and result shown here.
import { useEffect, useState, type ReactNode } from 'react';
import type { ReclaimPlan, ReclaimResult } from '../../../electron/node-host/api/disk-types.ts';
import type { ImageStore } from '../../../electron/node-host/api/store-types.ts';
import { useClient, useDash, useDashStore } from '../context.ts';
import { formatBytes } from '../format.ts';
import { isEmptyPlan, migrateSuggestion, planImageLines, reclaimResultText } from '../state/reclaim.ts';
import { refreshDisk } from '../state/store.ts';
import { ErrorText, Modal, ProgressBar, useAction } from './common.tsx';

export function ReclaimDialog({ store, onClose }: { store: ImageStore; onClose: () => void }): ReactNode {
  const client = useClient();
  const dash = useDashStore();
  const progress = useDash((s) => s.storeProgress);
  const [plan, setPlan] = useState<ReclaimPlan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [result, setResult] = useState<ReclaimResult | null>(null);
  const act = useAction();
  useEffect(() => {
    let live = true;
    client.call('store.reclaimPlan', { store }).then(
      (p) => {
        if (live) setPlan(p);
      },
      (e: Error) => {
        if (live) setPlanError(e.message);
      },
    );
    return () => {
      live = false;
    };
  }, [client, store]);
  const reclaim = (): void => {
    void act.run(async () => {
      try {
        setResult(await client.call('store.reclaim', { store }));
      } finally {
        void refreshDisk(client, dash);
      }
    });
  };
  const suggestion = plan ? migrateSuggestion(plan) : null;
  // While it runs the dialog stays: closing it would hide the progress, not stop the reclaim.
  const close = (): void => {
    if (!act.busy) onClose();
  };
  return (
    <Modal title={`Reclaim the ${store} image store's space?`} onClose={close} wide>
      <ErrorText error={planError} />
      {!plan && !planError ? <p role="status">Listing what the {store} image store holds…</p> : null}
      {plan && !result ? <PlanText plan={plan} /> : null}
      {suggestion && !result ? (
        <p className="warning-text" data-testid="migrate-suggestion">
          {suggestion}
        </p>
      ) : null}
      {act.busy ? (
        <div className="transfer" data-testid="reclaim-progress">
          <ProgressBar percent={null} label="Reclaiming" />
          <p className="muted" role="status">
            {progress.at(-1) ?? 'Deleting…'}
          </p>
        </div>
      ) : null}
      {result ? (
        <p className="ok-text" role="status" data-testid="reclaim-result">
          {reclaimResultText(result)}
        </p>
      ) : null}
      <ErrorText error={act.error} />
      <div className="dialog-actions">
        <button type="button" autoFocus disabled={act.busy} onClick={close}>
          {result ? 'Close' : 'Cancel'}
        </button>
        {!result ? (
          <button type="button" className="danger" disabled={!plan || isEmptyPlan(plan) || act.busy} onClick={reclaim}>
            {act.busy ? 'Reclaiming…' : `Delete and reclaim ${plan ? formatBytes(plan.totalBytes) : ''}`.trim()}
          </button>
        ) : null}
      </div>
    </Modal>
  );
}

function PlanText({ plan }: { plan: ReclaimPlan }): ReactNode {
  if (isEmptyPlan(plan)) return <p>The {plan.store} image store holds nothing to reclaim.</p>;
  const images = planImageLines(plan);
  return (
    <div data-testid="reclaim-plan">
      <p>
        This permanently deletes from the hidden <strong>{plan.store}</strong> image store (about{' '}
        <strong>{formatBytes(plan.totalBytes)}</strong>); the active store and volumes are not touched:
      </p>
      {images.length ? (
        <>
          <h3>
            {images.length} {images.length === 1 ? 'image' : 'images'}
          </h3>
          <ul className="plan-list" data-testid="reclaim-images">
            {images.map((i) => (
              <li key={i.key} className="mono">
                {i.label} — {formatBytes(i.bytes)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {plan.containers.length ? (
        <>
          <h3>
            {plan.containers.length} {plan.containers.length === 1 ? 'container' : 'containers'}
          </h3>
          <ul className="plan-list" data-testid="reclaim-containers">
            {plan.containers.map((c) => (
              <li key={c.id}>
                <strong>{c.name}</strong> <span className="muted mono">({c.image})</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {plan.buildCacheBytes > 0 ? <p>Build cache: {formatBytes(plan.buildCacheBytes)}</p> : null}
    </div>
  );
}
