// Containers of the active store: state, image, ports, created; start, stop, restart, remove,
// and live logs.
import { useState, type ReactNode } from 'react';
import type { Container } from '../../../electron/node-host/api/docker-types.ts';
import { useClient, useDash } from '../context.ts';
import { formatPorts, relativeTime, shortId } from '../format.ts';
import { ErrorText, Modal, useAction } from './common.tsx';
import { LogsPanel } from './LogsPanel.tsx';
import { EngineGate } from './EngineGate.tsx';

export function ContainersView(): ReactNode {
  const containers = useDash((s) => s.containers);
  const selected = useDash((s) => s.selectedLogs);
  const list = containers?.value ?? [];
  return (
    <EngineGate what="containers">
      <div className="view">
        <div className="toolbar">
          <h1>Containers</h1>
          <span className="muted">{list.length} in the active image store</span>
        </div>
        <ErrorText error={containers?.error} />
        {containers?.value && list.length === 0 ? (
          <div className="empty" data-testid="containers-empty">
            <h2>No containers yet</h2>
            <p>
              Run one from <strong>Images</strong> with its <em>Run</em> button, or from a terminal:
            </p>
            <pre>docker --context berth run -d -p 8080:80 nginx</pre>
          </div>
        ) : null}
        {list.length > 0 ? (
          <table className="table" aria-label="Containers">
            <thead>
              <tr>
                <th>Name</th>
                <th>State</th>
                <th>Image</th>
                <th>Ports</th>
                <th>Created</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <ContainerRow key={c.id} c={c} />
              ))}
            </tbody>
          </table>
        ) : null}
        {selected ? (
          <LogsPanel id={selected} name={list.find((c) => c.id === selected)?.name ?? shortId(selected)} />
        ) : null}
      </div>
    </EngineGate>
  );
}

function ContainerRow({ c }: { c: Container }): ReactNode {
  const client = useClient();
  const act = useAction();
  const setSelectedLogs = useDash((s) => s.setSelectedLogs);
  const [confirm, setConfirm] = useState(false);
  const running = c.state === 'running' || c.state === 'restarting';
  return (
    <tr data-testid={`container-${c.name}`}>
      <td>
        <strong>{c.name}</strong>
        <div className="muted mono">{shortId(c.id)}</div>
      </td>
      <td>
        <span className={`badge ${running ? 'ok' : ''}`}>{c.state}</span>
        <div className="muted">{c.status}</div>
      </td>
      <td className="mono">{c.image}</td>
      <td className="mono">{formatPorts(c.ports) || '–'}</td>
      <td>{relativeTime(c.created)}</td>
      <td>
        <div className="row-actions">
          {running ? (
            <button
              type="button"
              disabled={act.busy}
              onClick={() => void act.run(() => client.call('containers.stop', { id: c.id }))}
            >
              Stop
            </button>
          ) : (
            <button
              type="button"
              disabled={act.busy}
              onClick={() => void act.run(() => client.call('containers.start', { id: c.id }))}
            >
              Start
            </button>
          )}
          <button
            type="button"
            disabled={act.busy}
            onClick={() => void act.run(() => client.call('containers.restart', { id: c.id }))}
          >
            Restart
          </button>
          <button type="button" onClick={() => setSelectedLogs(c.id)}>
            Logs
          </button>
          <button type="button" className="danger" disabled={act.busy} onClick={() => setConfirm(true)}>
            Remove
          </button>
          <ErrorText error={act.error} />
          {confirm ? (
            <Modal title={`Remove container ${c.name}?`} onClose={() => setConfirm(false)}>
              <p>
                This deletes the container <strong>{c.name}</strong> and its writable layer
                {running ? '; it is running and will be stopped first' : ''}. Its image and volumes stay.
              </p>
              <div className="dialog-actions">
                <button type="button" onClick={() => setConfirm(false)}>
                  Cancel
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() => {
                    setConfirm(false);
                    void act.run(() => client.call('containers.remove', { id: c.id, force: running }));
                  }}
                >
                  Remove
                </button>
              </div>
            </Modal>
          ) : null}
        </div>
      </td>
    </tr>
  );
}
