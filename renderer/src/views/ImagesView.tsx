// Images of the active store, virtualized so 1,000 images scroll smoothly: repository:tag, short
// ID, created, size, "In use"; search, dangling filter, total on disk; tags in natural order; an
// image of the containerd store expands into its variants (platforms, attestation manifests).
import { useMemo, useRef, useState, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useDash } from '../context.ts';
import { formatBytes, relativeTime, shortId } from '../format.ts';
import { imageRows, isAttestation, type ImageRow } from '../state/images.ts';
import { attestationKinds, attestationStatements, attestationSubject, attestationText } from '../state/attestations.ts';
import { ErrorText, ProgressBar } from './common.tsx';
import { EngineGate } from './EngineGate.tsx';
import { ImageDialog, type ImageAction } from './ImageDialogs.tsx';

const ROW_HEIGHT = 44;

export function ImagesView(): ReactNode {
  const images = useDash((s) => s.images);
  const inventory = useDash((s) => s.inventory?.value);
  const search = useDash((s) => s.search);
  const danglingOnly = useDash((s) => s.danglingOnly);
  const expanded = useDash((s) => s.expanded);
  const setSearch = useDash((s) => s.setSearch);
  const setDanglingOnly = useDash((s) => s.setDanglingOnly);
  const transfers = useDash((s) => s.transfers);
  const [action, setAction] = useState<ImageAction | null>(null);
  const list = images?.value?.images ?? [];
  const rows = useMemo(
    () => imageRows(list, inventory, { search, danglingOnly }, expanded),
    [list, inventory, search, danglingOnly, expanded],
  );
  const active = Object.values(transfers).filter((t) => !t.done || t.error);
  return (
    <EngineGate what="images">
      <div className="view images-view">
        <div className="toolbar">
          <h1>Images</h1>
          <span className="muted" data-testid="images-total">
            {list.length} images, {formatBytes(images?.value?.totalBytes ?? 0)} on disk
          </span>
          <span className="spacer" />
          <label className="search">
            <span className="sr-only">Search images</span>
            <input
              type="search"
              placeholder="Search repository, tag or ID"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={danglingOnly} onChange={(e) => setDanglingOnly(e.target.checked)} />{' '}
            Dangling only
          </label>
          <button type="button" className="primary" onClick={() => setAction({ kind: 'pull' })}>
            Pull…
          </button>
        </div>
        <ErrorText error={images?.error} />
        {inventory?.store === 'classic' ? (
          <p className="muted" data-testid="attestations-classic">
            Attestations (SBOM, provenance) need the containerd image store: on the classic store{' '}
            <code>docker buildx build --sbom</code> or <code>--provenance</code> fails with Docker's "Attestation is not
            supported for the docker driver". The containerd image store keeps them in the image index.
          </p>
        ) : null}
        {active.map((t) => (
          <div key={t.opId} className="transfer" data-testid="transfer">
            <span>
              {t.kind === 'pull' ? 'Pulling' : 'Pushing'} <strong className="mono">{t.ref}</strong> — {t.status}
            </span>
            <ProgressBar percent={t.percent} label={`${t.kind} ${t.ref}`} />
          </div>
        ))}
        {images?.value && list.length === 0 ? (
          <div className="empty" data-testid="images-empty">
            <h2>No images in the active store</h2>
            <p>
              Pull one with <strong>Pull…</strong>, or build one: <code>docker --context berth build -t my/app .</code>
            </p>
          </div>
        ) : null}
        {list.length > 0 ? <ImageTable rows={rows} onAction={setAction} /> : null}
        {action ? <ImageDialog action={action} onClose={() => setAction(null)} /> : null}
      </div>
    </EngineGate>
  );
}

function ImageTable({ rows, onAction }: { rows: ImageRow[]; onAction: (a: ImageAction) => void }): ReactNode {
  const scroller = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  return (
    <div className="vtable" role="table" aria-label="Images" aria-rowcount={rows.length + 1}>
      <div className="vrow vhead" role="row">
        <span role="columnheader">Repository:tag</span>
        <span role="columnheader">Image ID</span>
        <span role="columnheader">Created</span>
        <span role="columnheader">Size</span>
        <span role="columnheader">Status</span>
        <span role="columnheader">
          <span className="sr-only">Actions</span>
        </span>
      </div>
      <div ref={scroller} className="vscroll" data-testid="images-scroll">
        <div style={{ height: v.getTotalSize(), position: 'relative' }} role="rowgroup">
          {v.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <div
                key={row.key}
                className={`vrow ${row.kind}`}
                role="row"
                aria-rowindex={item.index + 2}
                style={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${item.start}px)`,
                }}
              >
                {row.kind === 'image' ? <ImageCells row={row} onAction={onAction} /> : <VariantCells row={row} />}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function ImageCells({
  row,
  onAction,
}: {
  row: Extract<ImageRow, { kind: 'image' }>;
  onAction: (a: ImageAction) => void;
}): ReactNode {
  const toggle = useDash((s) => s.toggleExpanded);
  const { image, repoTag } = row;
  const inUse = image.usedBy.length > 0;
  const attestations = row.variants.filter(isAttestation);
  const platforms = row.variants.length - attestations.length;
  const kinds = attestationKinds(attestations);
  const n = attestations.length;
  const summary = [
    `${platforms} ${platforms === 1 ? 'platform' : 'platforms'}`,
    ...(n ? [`${n} ${n === 1 ? 'attestation' : 'attestations'}${kinds.length ? ` (${kinds.join(', ')})` : ''}`] : []),
  ].join(', ');
  return (
    <>
      <span role="cell" className="mono ellipsis" title={repoTag}>
        {row.variants.length ? (
          <button
            type="button"
            className="link"
            aria-expanded={row.expanded}
            onClick={() => toggle(row.key)}
            aria-label={`${row.expanded ? 'Hide' : 'Show'} the variants of ${repoTag} (${summary})`}
          >
            {row.expanded ? '▾' : '▸'}
          </button>
        ) : null}
        {repoTag}
        {row.variants.length ? <span className="muted"> · {summary}</span> : null}
      </span>
      <span role="cell" className="mono">
        {shortId(image.id)}
      </span>
      <span role="cell">{relativeTime(image.created)}</span>
      <span role="cell">{formatBytes(image.size)}</span>
      <span role="cell">
        {inUse ? (
          <span className="badge ok" title={image.usedBy.join(', ')}>
            In use
          </span>
        ) : image.dangling ? (
          <span className="badge">Dangling</span>
        ) : (
          <span className="muted">Unused</span>
        )}
      </span>
      <span role="cell" className="row-actions">
        <button type="button" onClick={() => onAction({ kind: 'run', image, repoTag })} aria-label={`Run ${repoTag}`}>
          Run
        </button>
        {!image.dangling ? (
          <button
            type="button"
            onClick={() => onAction({ kind: 'push', image, repoTag })}
            aria-label={`Push ${repoTag}`}
          >
            Push
          </button>
        ) : null}
        <button type="button" onClick={() => onAction({ kind: 'tag', image, repoTag })} aria-label={`Tag ${repoTag}`}>
          Tag
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => onAction({ kind: 'remove', image, repoTag })}
          aria-label={`Remove ${repoTag}`}
        >
          Remove
        </button>
      </span>
    </>
  );
}

function VariantCells({ row }: { row: Extract<ImageRow, { kind: 'variant' }> }): ReactNode {
  const v = row.variant;
  const attestation = isAttestation(v);
  return (
    <>
      <span role="cell" className="mono variant-name ellipsis" title={attestation ? attestationText(v) : v.platform}>
        {attestation ? attestationSubject(v) : v.platform}
      </span>
      <span role="cell" className="mono">
        {v.digest ? shortId(v.digest) : ''}
      </span>
      <span role="cell" />
      <span role="cell">{v.size !== undefined ? formatBytes(v.size) : ''}</span>
      <span role="cell">
        {v.present ? <span className="badge ok">Present</span> : <span className="badge">Not pulled</span>}
      </span>
      {/* What an attestation manifest states goes where an image's actions are: the widest cell. */}
      <span
        role="cell"
        className="statements"
        title={attestation ? attestationStatements(v).join(', ') : undefined}
        data-testid={attestation ? 'attestation-statements' : undefined}
      >
        {attestation
          ? attestationStatements(v).map((s) => (
              <span key={s} className="badge">
                {s}
              </span>
            ))
          : null}
      </span>
    </>
  );
}
