// Views of engine data say plainly when the engine is not there to ask.
import type { ReactNode } from 'react';
import { useDash } from '../context.ts';

export function EngineGate({ what, children }: { what: string; children: ReactNode }): ReactNode {
  const engine = useDash((s) => s.engine);
  if (!engine)
    return (
      <div className="view">
        <p className="muted" role="status">
          Connecting…
        </p>
      </div>
    );
  if (engine.state === 'running') return children;
  const why =
    engine.state === 'error'
      ? `The engine failed: ${engine.error?.message ?? 'unknown error'}.`
      : `The engine is ${engine.state}.`;
  return (
    <div className="view">
      <div className="empty" data-testid="engine-not-running">
        <h2>No {what} to show</h2>
        <p>
          {why}{' '}
          {engine.state === 'starting' ? 'They appear as soon as it runs.' : 'Start it with “Start engine” above.'}
        </p>
      </div>
    </div>
  );
}
