// Live logs of one container: the last lines, then every new one as the host pushes it.
import { useEffect, useRef, type ReactNode } from 'react';
import { useClient, useDash, useDashStore } from '../context.ts';
import { ErrorText, useAction } from './common.tsx';

export function LogsPanel({ id, name }: { id: string; name: string }): ReactNode {
  const client = useClient();
  const text = useDash((s) => s.logs[id] ?? '');
  const close = useDash((s) => s.setSelectedLogs);
  const act = useAction();
  const store = useDashStore();
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    store.setState((s) => ({ logs: { ...s.logs, [id]: '' } }));
    void act.run(() => client.call('containers.followLogs', { id, tail: 500 }));
    return () => {
      void client.call('containers.unfollowLogs', { id }).catch(() => undefined);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, client]);
  useEffect(() => {
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <section className="logs" aria-label={`Logs of ${name}`} data-testid="logs-panel">
      <div className="toolbar">
        <h2>Logs: {name}</h2>
        <span className="spacer" />
        <button type="button" onClick={() => close(null)}>
          Close logs
        </button>
      </div>
      <ErrorText error={act.error} />
      <pre ref={pre} tabIndex={0} className="log-text">
        {text || 'No output yet.'}
      </pre>
    </section>
  );
}
