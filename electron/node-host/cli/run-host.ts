// `berth host`: the host process in the foreground (the CLI starts it detached).
import { startHost } from '../process/berth-host.ts';
import { HostLockedError } from '../process/instance-lock.ts';
import { exitWhenIdle } from '../process/idle-exit.ts';
import type { DataDir } from '../../../engine/host/paths.ts';

export async function runHost(data: DataDir): Promise<number> {
  let host;
  try {
    host = await startHost(data, { dockerContext: process.env.BERTH_NO_DOCKER_CONTEXT !== '1' }, () => process.exit(0));
  } catch (e) {
    // Another host won the data dir (two commands started one each): the caller talks to that one.
    process.send?.(e instanceof HostLockedError ? { busy: e.pid } : { error: (e as Error).message });
    throw e;
  }
  const stop = (): void => void host.shutdown();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  console.log(`${new Date().toISOString()} Berth host ${process.pid} serving ${data.controlSocket}`);
  process.send?.('ready');
  exitWhenIdle({
    engine: host.engine,
    clients: () => host.control.clients,
    onClients: (l) => host.control.onClients(l),
    dashboardServing: () => host.dashboard.serving,
    applying: () => host.settings.applying,
    exit: () => {
      console.log(
        `${new Date().toISOString()} Berth host ${process.pid}: the engine is stopped and nothing is connected; exiting`,
      );
      stop();
    },
  });
  // One line per change of state or start stage: status events also carry ports, timelines, ….
  let last = '';
  host.engine.on('status', (s: { state: string; stage?: string; error?: { message: string } }) => {
    const line = `engine ${s.state}${s.stage ? ` (${s.stage})` : ''}${s.error ? `: ${s.error.message}` : ''}`;
    if (line === last) return;
    last = line;
    console.log(`${new Date().toISOString()} ${line}`);
  });
  await new Promise(() => {}); // serve until shutdown exits the process
  return 0;
}
