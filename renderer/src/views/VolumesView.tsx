// Volumes: shared by both image stores, so each row names the containers of either store that
// use it. Create (optional name), remove (refused while in use), prune of the unused ones after a
// dialog that lists them.
import { useState, type ReactNode } from 'react';
import { VolumeNameSchema, type Volume } from '../../../electron/node-host/api/volume-types.ts';
import { useClient, useDash, useDashStore } from '../context.ts';
import { formatBytes } from '../format.ts';
import { refreshVolumes } from '../state/store.ts';
import { removeBlocked, sortVolumes, unusedVolumes, usedByText } from '../state/volumes.ts';
import { ErrorText, Modal, useAction } from './common.tsx';
import { EngineGate } from './EngineGate.tsx';

export function VolumesView(): ReactNode {
  const volumes = useDash((s) => s.volumes);
  const [dialog, setDialog] = useState<'create' | 'prune' | null>(null);
  const list = sortVolumes(volumes?.value ?? []);
  return (
    <EngineGate what="volumes">
      <div className="view">
        <div className="toolbar">
          <h1>Volumes</h1>
          <span className="muted">{list.length} volumes, shared by both image stores</span>
          <span className="spacer" />
          <button type="button" disabled={!volumes?.value} onClick={() => setDialog('prune')}>
            Prune unused…
          </button>
          <button type="button" className="primary" disabled={!volumes?.value} onClick={() => setDialog('create')}>
            Create…
          </button>
        </div>
        <ErrorText error={volumes?.error} />
        {volumes?.value && list.length === 0 ? (
          <div className="empty" data-testid="volumes-empty">
            <h2>No volumes yet</h2>
            <p>
              Create one with <strong>Create…</strong>, or let a container make one:{' '}
              <code>docker --context berth run -v data:/data …</code>
            </p>
          </div>
        ) : null}
        {list.length > 0 ? (
          <table className="table" aria-label="Volumes">
            <thead>
              <tr>
                <th>Name</th>
                <th>Driver</th>
                <th>Size</th>
                <th>Used by</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((v) => (
                <VolumeRow key={v.name} v={v} />
              ))}
            </tbody>
          </table>
        ) : null}
        {dialog === 'create' ? <CreateDialog onClose={() => setDialog(null)} /> : null}
        {dialog === 'prune' ? <PruneDialog unused={unusedVolumes(list)} onClose={() => setDialog(null)} /> : null}
      </div>
    </EngineGate>
  );
}

/** Runs a volume call, then lists the volumes again (the host's volumes.changed may lag or be missed). */
function useVolumeCall(): (fn: () => Promise<unknown>) => () => Promise<void> {
  const client = useClient();
  const store = useDashStore();
  return (fn) => async () => {
    try {
      await fn();
    } finally {
      void refreshVolumes(client, store);
    }
  };
}

function VolumeRow({ v }: { v: Volume }): ReactNode {
  const client = useClient();
  const call = useVolumeCall();
  const act = useAction();
  const [confirm, setConfirm] = useState(false);
  const blocked = removeBlocked(v);
  const noteId = `volume-note-${v.name}`;
  return (
    <tr data-testid={`volume-${v.name}`}>
      <td className="mono">
        <strong>{v.name}</strong>
      </td>
      <td>{v.driver}</td>
      <td>{v.bytes === undefined ? <span className="muted">–</span> : formatBytes(v.bytes)}</td>
      <td>{v.usedBy.length ? usedByText(v) : <span className="muted">Unused</span>}</td>
      <td>
        <div className="row-actions">
          {/* Disabled with the reason beside it; the host refuses (409) a race the list did not see yet. */}
          <button
            type="button"
            className="danger"
            disabled={blocked !== null || act.busy}
            aria-describedby={blocked ? noteId : undefined}
            aria-label={`Remove volume ${v.name}`}
            onClick={() => setConfirm(true)}
          >
            Remove
          </button>
          {blocked ? (
            <p id={noteId} className="muted note">
              {blocked}
            </p>
          ) : null}
          <ErrorText error={act.error} />
        </div>
        {confirm ? (
          <Modal title={`Remove volume ${v.name}?`} onClose={() => setConfirm(false)}>
            <p>
              This deletes the volume <strong className="mono">{v.name}</strong> and every file in it
              {v.bytes !== undefined ? ` (${formatBytes(v.bytes)})` : ''}.
            </p>
            <div className="dialog-actions">
              <button type="button" autoFocus onClick={() => setConfirm(false)}>
                Cancel
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => {
                  setConfirm(false);
                  void act.run(call(() => client.call('volumes.remove', { name: v.name })));
                }}
              >
                Remove
              </button>
            </div>
          </Modal>
        ) : null}
      </td>
    </tr>
  );
}

function CreateDialog({ onClose }: { onClose: () => void }): ReactNode {
  const client = useClient();
  const call = useVolumeCall();
  const act = useAction();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const trimmed = name.trim();
  const check = trimmed ? VolumeNameSchema.safeParse(trimmed) : null;
  const create = (): void => {
    void act.run(
      call(async () => {
        const r = await client.call('volumes.create', trimmed ? { name: trimmed } : {});
        setCreated(r.name);
      }),
    );
  };
  return (
    <Modal title="Create a volume" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!act.busy && check?.success !== false) create();
        }}
      >
        <label className="field">
          Volume name (optional)
          <input
            autoFocus
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setCreated(null);
            }}
            placeholder="a random name when empty"
          />
        </label>
        {check && !check.success ? <p className="hint">{check.error.issues[0]?.message}</p> : null}
        {created ? (
          <p className="ok-text" role="status">
            Created volume <span className="mono">{created}</span>.
          </p>
        ) : null}
        <ErrorText error={act.error} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            {created ? 'Close' : 'Cancel'}
          </button>
          <button type="submit" className="primary" disabled={act.busy || check?.success === false}>
            {act.busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function PruneDialog({ unused, onClose }: { unused: Volume[]; onClose: () => void }): ReactNode {
  const client = useClient();
  const call = useVolumeCall();
  const act = useAction();
  // What the user confirmed, fixed when the dialog opened: the list may change underneath.
  const [shown] = useState(unused);
  const [done, setDone] = useState<string | null>(null);
  const prune = (): void => {
    void act.run(
      call(async () => {
        const r = await client.call('volumes.prune', {});
        setDone(
          `Removed ${r.removed.length} ${r.removed.length === 1 ? 'volume' : 'volumes'}, ${formatBytes(r.reclaimedBytes)} freed.`,
        );
      }),
    );
  };
  const total = shown.reduce((n, v) => n + (v.bytes ?? 0), 0);
  return (
    <Modal title="Prune unused volumes?" onClose={onClose}>
      {shown.length === 0 ? (
        <p>Every volume is used by a container of one of the stores: there is nothing to prune.</p>
      ) : (
        <>
          <p>
            No container of either image store uses these volumes. Pruning deletes them and their files
            {total ? ` (${formatBytes(total)})` : ''}:
          </p>
          <ul data-testid="prune-list">
            {shown.map((v) => (
              <li key={v.name} className="mono">
                {v.name}
                {v.bytes !== undefined ? ` — ${formatBytes(v.bytes)}` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
      {done ? (
        <p className="ok-text" role="status">
          {done}
        </p>
      ) : null}
      <ErrorText error={act.error} />
      <div className="dialog-actions">
        <button type="button" autoFocus onClick={onClose}>
          {done ? 'Close' : 'Cancel'}
        </button>
        {!done && shown.length > 0 ? (
          <button type="button" className="danger" disabled={act.busy} onClick={prune}>
            {act.busy ? 'Pruning…' : 'Prune'}
          </button>
        ) : null}
      </div>
    </Modal>
  );
}
