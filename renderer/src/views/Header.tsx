// Engine state (with the reason when it failed), the active image store, the engine's versions,
// and a warning when the VM runs without hardware acceleration.
import type { ReactNode } from 'react';
import { useClient, useDash } from '../context.ts';
import { ErrorText, useAction } from './common.tsx';

const STATE_TEXT = {
  stopped: 'Stopped',
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  error: 'Error',
} as const;

export function Header(): ReactNode {
  const engine = useDash((s) => s.engine);
  const stage = useDash((s) => s.stage);
  const info = useDash((s) => s.info);
  const store = useDash((s) => s.store);
  const connection = useDash((s) => s.connection);
  const client = useClient();
  const act = useAction();
  const state = engine?.state ?? 'stopped';
  const active = store?.value?.active ?? info?.value?.activeStore;
  return (
    <header className="header">
      <div className="brand">Berth</div>
      <div className={`engine-state state-${state}`} role="status" aria-live="polite" data-testid="engine-state">
        <span className="dot" aria-hidden="true" />
        Engine: {STATE_TEXT[state]}
        {state === 'starting' && stage ? (
          <span className="muted">
            {' '}
            — {stage.stage}
            {stage.detail ? `: ${stage.detail}` : ''}
          </span>
        ) : null}
        {state === 'error' && engine?.error ? <span className="reason"> — {engine.error.message}</span> : null}
      </div>
      {state === 'running' && active ? (
        <div className="store-pill" data-testid="active-store">
          Image store: <strong>{active}</strong>
        </div>
      ) : null}
      {state === 'running' && engine?.versions?.docker ? (
        <div
          className="muted"
          data-testid="engine-versions"
          title={`API ${engine.versions.api ?? '?'}, runc ${engine.versions.runc ?? '?'}, kernel ${engine.versions.kernel ?? '?'}`}
        >
          Docker Engine {engine.versions.docker} · containerd {engine.versions.containerd ?? '?'}
        </div>
      ) : null}
      {state === 'running' && engine?.adopted ? (
        <div className="muted" data-testid="engine-adopted" title={(engine.notices ?? []).join('\n') || undefined}>
          adopted a running engine (pid {engine.adopted.pid})
        </div>
      ) : null}
      {(engine?.notices ?? []).map((n) => (
        <div key={n} className="warning" role="note" data-testid="engine-notice">
          {n}
        </div>
      ))}
      {engine?.emulated ? (
        // Why, in a few words (e.g. "kvm failed while booting Berth's kernel"); QEMU's whole
        // message goes in the tooltip.
        <div className="warning" role="note" data-testid="emulated-warning" title={engine.acceleratorReason}>
          ⚠ Emulated VM: no hardware acceleration, containers run slowly
          {engine.acceleratorReason ? ` (${engine.acceleratorReason.split(':')[0]})` : ''}
        </div>
      ) : null}
      <div className="spacer" />
      {connection !== 'open' ? (
        <div className="warning" role="alert">
          Reconnecting to the Berth host…
        </div>
      ) : null}
      {state === 'stopped' || state === 'error' ? (
        <button type="button" disabled={act.busy} onClick={() => void act.run(() => client.call('engine.start', {}))}>
          Start engine
        </button>
      ) : null}
      {state === 'running' ? (
        <button type="button" disabled={act.busy} onClick={() => void act.run(() => client.call('engine.stop', {}))}>
          Stop engine
        </button>
      ) : null}
      <ErrorText error={act.error} />
    </header>
  );
}
