// `berth host`: the host process in the foreground (the CLI starts it detached).
import { startHost } from '../process/berth-host.ts';
import type { DataDir } from '../../../engine/host/paths.ts';

export async function runHost(data: DataDir): Promise<number> {
  let host;
  try {
    host = await startHost(data, { dockerContext: process.env.BERTH_NO_DOCKER_CONTEXT !== '1' }, () => process.exit(0));
  } catch (e) {
    process.send?.({ error: (e as Error).message });
    throw e;
  }
  const stop = (): void => void host.shutdown();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  console.log(`${new Date().toISOString()} Berth host ${process.pid} serving ${data.controlSocket}`);
  process.send?.('ready');
  host.engine.on('status', (s: { state: string; error?: { message: string } }) => {
    console.log(`${new Date().toISOString()} engine ${s.state}${s.error ? `: ${s.error.message}` : ''}`);
  });
  await new Promise(() => {}); // serve until shutdown exits the process
  return 0;
}
