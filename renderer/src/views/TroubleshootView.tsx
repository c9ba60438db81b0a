// Troubleshoot: gather diagnostics; restart, Clean / Purge data, Reset to factory defaults, each
// confirmed by a dialog that lists exactly what it deletes (paths and sizes from the host).
import { useEffect, useState, type ReactNode } from 'react';
import type { TroubleshootPlan } from '../../../electron/node-host/api/contract.ts';
import { useClient } from '../context.ts';
import { ErrorText, Modal, useAction } from './common.tsx';

type Action = 'restart' | 'purge' | 'factoryReset';

export function TroubleshootView(): ReactNode {
  const client = useClient();
  const [plan, setPlan] = useState<TroubleshootPlan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<Action | null>(null);
  const act = useAction();
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    if (confirm && confirm !== 'restart') {
      setPlan(null);
      client.call('troubleshoot.plan', {}).then(setPlan, (e: Error) => setPlanError(e.message));
    }
  }, [confirm, client]);
  const run = (a: Action): void => {
    setConfirm(null);
    setDone(null);
    const name =
      a === 'restart' ? 'troubleshoot.restart' : a === 'purge' ? 'troubleshoot.purge' : 'troubleshoot.factoryReset';
    void act
      .run(() => client.call(name, {}))
      .then(
        (ok) =>
          ok &&
          setDone(
            a === 'restart'
              ? 'Restarted.'
              : a === 'purge'
                ? 'Data purged; the engine runs on a fresh disk.'
                : 'Factory defaults restored.',
          ),
      );
  };
  const gather = (): void => {
    setDone(null);
    void act.run(async () => {
      const r = await client.call('troubleshoot.diagnostics', {});
      setDone(
        `Diagnostics written to ${r.file}: logs, versions and configuration, no keys or tokens. Attach it to a bug report.`,
      );
    });
  };
  const titles: Record<Action, string> = {
    restart: 'Restart',
    purge: 'Clean / Purge data',
    factoryReset: 'Reset to factory defaults',
  };
  return (
    <div className="view troubleshoot">
      <h1>Troubleshoot</h1>
      <div className="ts-item">
        <div>
          <h2>Gather diagnostics</h2>
          <p className="muted">
            Writes one archive for a bug report: host and VM logs, the engine's journal, docker info, settings and the
            start timeline. No keys or tokens.
          </p>
        </div>
        <button type="button" disabled={act.busy} onClick={gather}>
          Gather diagnostics
        </button>
      </div>
      <div className="ts-item">
        <div>
          <h2>Restart</h2>
          <p className="muted">
            Restarts the Berth VM and the Docker Engine. Running containers stop; nothing is deleted.
          </p>
        </div>
        <button type="button" disabled={act.busy} onClick={() => setConfirm('restart')}>
          Restart
        </button>
      </div>
      <div className="ts-item">
        <div>
          <h2>Clean / Purge data</h2>
          <p className="muted">Deletes all images, containers and volumes of both image stores. Settings stay.</p>
        </div>
        <button type="button" className="danger" disabled={act.busy} onClick={() => setConfirm('purge')}>
          Clean / Purge data
        </button>
      </div>
      <div className="ts-item">
        <div>
          <h2>Reset to factory defaults</h2>
          <p className="muted">Deletes all data and restores the default settings (containerd image store on).</p>
        </div>
        <button type="button" className="danger" disabled={act.busy} onClick={() => setConfirm('factoryReset')}>
          Reset to factory defaults
        </button>
      </div>
      {act.busy ? <p role="status">Working… the engine restarts; this takes a while on an emulated VM.</p> : null}
      {done ? (
        <p role="status" className="ok-text">
          {done}
        </p>
      ) : null}
      <ErrorText error={act.error} />
      {confirm ? (
        <Modal title={`${titles[confirm]}?`} onClose={() => setConfirm(null)}>
          {confirm === 'restart' ? (
            <p>The VM and the Docker Engine restart. Running containers stop. Nothing is deleted.</p>
          ) : (
            <>
              <ErrorText error={planError} />
              {plan ? (
                <>
                  <p>This permanently deletes:</p>
                  <ul data-testid="deletes">
                    {plan[confirm].deletes.map((d) => (
                      <li key={d}>{d}</li>
                    ))}
                  </ul>
                  {plan[confirm].keeps.length ? <p>It keeps: {plan[confirm].keeps.join('; ')}.</p> : null}
                </>
              ) : planError ? null : (
                <p role="status">Listing what will be deleted…</p>
              )}
            </>
          )}
          <div className="dialog-actions">
            <button type="button" autoFocus onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              disabled={confirm !== 'restart' && !plan}
              onClick={() => run(confirm)}
            >
              {titles[confirm]}
            </button>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}
