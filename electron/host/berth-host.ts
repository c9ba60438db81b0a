// The Berth host process: owns the VM, the forwarded sockets and the control API for one data dir.
// The CLI starts it in the background; the Electron main process and the dashboard embed it.
import path from 'node:path';
import { DataDir } from '../../engine/host/paths.ts';
import { EngineController, type EngineOptions } from '../../engine/host/engine-controller.ts';
import { ControlServer } from '../control/control-server.ts';
import { registerEngineRoutes } from '../control/engine-routes.ts';
import { registerStoreRoutes } from '../control/store-routes.ts';
import { acquireLock } from './instance-lock.ts';
import { registerDashboardRoutes } from '../dashboard/host-routes.ts';
import { registerSettingsRoutes } from '../control/settings-routes.ts';
import { SettingsService } from '../settings/service.ts';
import { ControllerEnginePort, engineOptionsFromSettings } from '../settings/controller-port.ts';
import { bootEngineConfig } from '../settings/boot-config.ts';
import { storeOf, storeSetting } from '../api/image-store.ts';

export interface BerthHost {
  data: DataDir;
  engine: EngineController;
  control: ControlServer;
  settings: SettingsService;
  /** Stops the VM cleanly, closes the API, releases the lock. */
  shutdown(): Promise<void>;
}

export async function startHost(data: DataDir, engineOpts: Omit<EngineOptions, 'data'> = {}, onExit: () => void = () => {}): Promise<BerthHost> {
  data.ensure();
  const release = acquireLock(path.join(data.runDir, 'host.pid'));
  let settings: SettingsService;
  try {
    settings = new SettingsService(data, new ControllerEnginePort(data, () => engine, async (cfg) => {
      await engine.agent.setImageStore(storeOf(cfg), JSON.stringify(cfg.dockerEngine));
    }));
  } catch (e) { release(); throw e; }
  const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);
  const engineConfig: EngineOptions['engineConfig'] = (guest) => bootEngineConfig(settings, guest, log);
  const engine = new EngineController(engineOptionsFromSettings(() => settings.get(), { engineConfig, ...engineOpts, data }));
  settings.on('changed', (s) => engine.emit('event', 'settings', s));
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
  registerStoreRoutes(control, engine, async (store) => { await settings.apply(storeSetting(store)); });
  registerSettingsRoutes(control, settings);
  registerDashboardRoutes(control, () => ({ data, engine, settings }));
  try {
    await control.listen(data.controlSocket);
  } catch (e) {
    release();
    throw e;
  }
  return { data, engine, control, settings, shutdown };
}
