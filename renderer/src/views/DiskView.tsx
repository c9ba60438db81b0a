// Disk: what each image store costs (images, containers' writable layers, build cache, total; the
// active one marked), volumes once (both stores see them), the data disk as the VM sees it and
// the disk file's real size on this computer. Asked for when shown and after a switch or reclaim.
import { useEffect, type ReactNode } from 'react';
import type { DiskUsage, StoreDiskUsage } from '../../../electron/node-host/api/disk-types.ts';
import { useClient, useDash, useDashStore } from '../context.ts';
import { formatBytes } from '../format.ts';
import { refreshDisk } from '../state/store.ts';
import { ErrorText, useAction } from './common.tsx';
import { EngineGate } from './EngineGate.tsx';

/** A size as shown, with the exact bytes for a tooltip and for tests. */
function Bytes({ n }: { n: number }): ReactNode {
  return (
    <span data-bytes={n} title={`${n.toLocaleString('en-US')} bytes`}>
      {formatBytes(n)}
    </span>
  );
}

export function DiskView(): ReactNode {
  const disk = useDash((s) => s.disk);
  const running = useDash((s) => s.engine?.state === 'running');
  const client = useClient();
  const store = useDashStore();
  const act = useAction();
  // Fresh numbers each time the view shows (the last ones stay until they come), and whenever
  // none are known: the first time, and after an engine restart forgot them.
  useEffect(() => {
    if (running && disk !== null) void refreshDisk(client, store);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (running && disk === null) void refreshDisk(client, store);
  }, [running, disk === null, client, store]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <EngineGate what="disk usage">
      <div className="view disk">
        <div className="toolbar">
          <h1>Disk</h1>
          <span className="spacer" />
          <button type="button" disabled={act.busy} onClick={() => void act.run(() => refreshDisk(client, store))}>
            Refresh
          </button>
        </div>
        <ErrorText error={disk?.error} />
        {disk?.value ? (
          <DiskTables d={disk.value} />
        ) : disk?.error ? null : (
          <p role="status" className="muted">
            Measuring the disk…
          </p>
        )}
      </div>
    </EngineGate>
  );
}

function DiskTables({ d }: { d: DiskUsage }): ReactNode {
  const usedPct = d.dataDisk.sizeBytes > 0 ? (100 * d.dataDisk.usedBytes) / d.dataDisk.sizeBytes : 0;
  return (
    <>
      <section aria-labelledby="disk-stores">
        <h2 id="disk-stores">Image stores</h2>
        <table className="table" aria-label="Image stores" data-testid="disk-stores">
          <thead>
            <tr>
              <th>Store</th>
              <th>Images</th>
              <th>Containers</th>
              <th>Build cache</th>
              <th>Total</th>
            </tr>
          </thead>
          <tbody>
            {d.stores.map((s) => (
              <StoreRow key={s.store} s={s} />
            ))}
          </tbody>
        </table>
        <p className="muted">
          The hidden store keeps its images and containers until you switch back or reclaim its space.
        </p>
      </section>
      <section aria-labelledby="disk-other" className="disk-facts">
        <h2 id="disk-other">Volumes and the disk</h2>
        <dl>
          <dt>Volumes (shared by both stores)</dt>
          <dd data-testid="disk-volumes">
            <span data-count={d.volumes.count}>
              {d.volumes.count} {d.volumes.count === 1 ? 'volume' : 'volumes'}
            </span>
            , <Bytes n={d.volumes.bytes} />
          </dd>
          <dt>Data disk in the VM</dt>
          <dd data-testid="disk-data">
            <Bytes n={d.dataDisk.usedBytes} /> used of <Bytes n={d.dataDisk.sizeBytes} />,{' '}
            <Bytes n={d.dataDisk.freeBytes} /> free
            <div
              className="progress"
              role="meter"
              aria-label="Data disk used"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(usedPct)}
            >
              <div className="bar" style={{ width: `${usedPct}%` }} />
            </div>
          </dd>
          <dt>Disk file on this computer</dt>
          <dd data-testid="disk-file">
            <Bytes n={d.diskFile.allocatedBytes} /> really used, up to <Bytes n={d.diskFile.sizeBytes} />
            <div className="muted mono">{d.diskFile.path}</div>
          </dd>
        </dl>
      </section>
    </>
  );
}

function StoreRow({ s }: { s: StoreDiskUsage }): ReactNode {
  return (
    <tr data-testid={`disk-store-${s.store}`} aria-current={s.active ? 'true' : undefined}>
      <th scope="row">
        {s.store} {s.active ? <span className="badge ok">active</span> : <span className="badge">hidden</span>}
      </th>
      <td data-testid="images">
        <span data-count={s.images}>{s.images}</span> · <Bytes n={s.imagesBytes} />
      </td>
      <td data-testid="containers">
        <span data-count={s.containers}>{s.containers}</span> · <Bytes n={s.containersBytes} />
      </td>
      <td data-testid="build-cache">
        <Bytes n={s.buildCacheBytes} />
      </td>
      <td data-testid="total">
        <strong>
          <Bytes n={s.totalBytes} />
        </strong>
      </td>
    </tr>
  );
}
