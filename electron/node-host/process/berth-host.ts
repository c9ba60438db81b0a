// The Berth host process: owns the VM, the forwarded sockets and the control socket for one data
// dir. The CLI starts it in the background; the Electron main process embeds it.
//
// Wiring, in this order (each step uses only what the steps before it made):
//   1. the settings service, with an engine port not yet connected (it reads the settings file);
//   2. the engine, reading its VM resources and boot config from the settings;
//   3. the port connected to the engine: settings changes now reach the VM;
//   4. the contract's services and events over both, the control socket and the shutdown;
//   5. the handler (with what only the host can do: shut down, open the dashboard), served.
import path from 'node:path';
import type { DataDir } from '../../../engine/host/paths.ts';
import { EngineController } from '../../../engine/host/engine-controller.ts';
import type { EngineOptions } from '../../../engine/host/engine-options.ts';
import { ControlServer } from '../control/control-server.ts';
import { acquireLock } from './instance-lock.ts';
import { SettingsService } from '../settings/service.ts';
import { ControllerEnginePort, engineOptionsFromSettings } from '../settings/controller-port.ts';
import { bootDaemonJsonFor, bootEngineConfig } from '../settings/boot-config.ts';
import { ApiHandler } from '../services/api-handler.ts';
import { dashboardServices } from '../services/host-services.ts';
import { DashboardLauncher } from '../dashboard/launcher.ts';
import type { DashboardServices } from '../services/services.ts';
import { HostEvents } from './host-events.ts';

export interface BerthHost {
  data: DataDir;
  engine: EngineController;
  settings: SettingsService;
  /** The contract's services over this host's engine and settings. */
  services: DashboardServices;
  /** The contract's events: what the control socket's clients and the shell's windows receive. */
  events: HostEvents;
  /** The control socket's server: its clients keep a background host alive. */
  control: ControlServer;
  dashboard: DashboardLauncher;
  /** Stops the VM cleanly, closes the control socket, releases the lock. */
  shutdown(): Promise<void>;
}

export async function startHost(
  data: DataDir,
  engineOpts: Omit<EngineOptions, 'data'> = {},
  onExit: () => void = () => {},
): Promise<BerthHost> {
  data.ensure();
  const release = acquireLock(path.join(data.runDir, 'host.pid'));
  try {
    const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);
    const enginePort = new ControllerEnginePort(data);
    const settings = new SettingsService(data, enginePort);
    const engine = new EngineController(
      engineOptionsFromSettings(() => settings.get(), {
        engineConfig: (guest) => bootEngineConfig(settings, guest, log),
        bootDaemonJson: () => bootDaemonJsonFor(settings),
        ...engineOpts,
        data,
      }),
    );
    enginePort.connect(engine);

    const services = dashboardServices({ data, engine, settings });
    const events = new HostEvents(services);
    const dashboard = new DashboardLauncher(services);
    const control = new ControlServer(events);
    let closing: Promise<void> | null = null;
    const shutdown = (): Promise<void> => {
      closing ??= (async () => {
        await engine.stop().catch(() => undefined);
        await dashboard.close();
        events.close();
        await control.close();
        release();
        onExit();
      })();
      return closing;
    };
    const handler = new ApiHandler(services, events.broadcast, {
      pid: process.pid,
      shutdown: async () => {
        await engine.stop();
        // Answer first, then close the socket the answer travels on.
        setImmediate(() => void shutdown());
        return engine.status();
      },
      openDashboard: () => dashboard.open(),
    });
    await control.listen(data.controlSocket, handler);
    // A VM an earlier host left running (it crashed, or was killed) is taken over before anything
    // is served as ready: adopted with its containers running, or replaced when it cannot be.
    await engine.resume();
    return { data, engine, settings, services, events, control, dashboard, shutdown };
  } catch (e) {
    release();
    throw e;
  }
}
