// The Berth host process: owns the VM, the forwarded sockets and the control API for one data dir.
// The CLI starts it in the background; the Electron main process and the dashboard embed it.
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController, type EngineOptions } from '../../engine/host/engine-controller.ts';
import { ControlServer } from '../control/control-server.ts';
import { registerEngineRoutes } from '../control/engine-routes.ts';
import { acquireLock } from './instance-lock.ts';

export interface BerthHost {
  data: DataDir;
  engine: EngineController;
  control: ControlServer;
  /** Stops the VM cleanly, closes the API, releases the lock. */
  shutdown(): Promise<void>;
}

export async function startHost(data: DataDir, engineOpts: Omit<EngineOptions, 'data'> = {}, onExit: () => void = () => {}): Promise<BerthHost> {
  data.ensure();
  const release = acquireLock(path.join(data.runDir, 'host.pid'));
  const engine = new EngineController({ ...engineOpts, data });
  const control = new ControlServer();
  let closing: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      await engine.stop().catch(() => undefined);
      await control.close();
      release();
      onExit();
    })();
    return closing;
  };
  registerEngineRoutes(control, engine, () => void shutdown());
  try {
    await control.listen(data.controlSocket);
  } catch (e) {
    release();
    throw e;
  }
  return { data, engine, control, shutdown };
}
