// A host the CLI started in the background serves the engine. With the engine stopped, no client
// connected, no dashboard served and no settings change under way, it has nothing to do: it exits
// after a short grace, so a command that only applied or read settings leaves no process behind,
// and the next command reads the settings file afresh.
import type { EngineStatus } from '../../../engine/host/engine-types.ts';

export interface IdleWatch {
  engine: { status(): EngineStatus; on(e: 'status', l: (s: EngineStatus) => void): unknown };
  clients(): number;
  onClients(listener: () => void): unknown;
  dashboardServing(): boolean;
  applying(): boolean;
  exit(): void;
  graceMs?: number;
}

export function exitWhenIdle(w: IdleWatch): void {
  const grace = w.graceMs ?? 3_000;
  let timer: NodeJS.Timeout | null = null;
  const idle = (): boolean =>
    w.engine.status().state === 'stopped' && w.clients() === 0 && !w.dashboardServing() && !w.applying();
  const check = (): void => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (!idle()) return;
    timer = setTimeout(() => {
      timer = null;
      if (idle()) w.exit();
    }, grace);
  };
  w.engine.on('status', check);
  w.onClients(check);
  check();
}
