// Runs the dashboard inside the Berth host process (which owns the engine) and lets `berth
// dashboard` start it over the control API. Providers are looked up when the dashboard starts,
// so the store and settings services plug in by being passed here once they exist.
import { z } from 'zod';
import type { DataDir } from '../../engine/host/paths.ts';
import type { EngineController } from '../../engine/host/engine-controller.ts';
import type { ControlServer } from '../control/control-server.ts';
import { DockerodeService } from './docker-service.ts';
import { DashboardServer } from './server.ts';
import type { DashboardServices, SettingsProvider, StoreProvider } from './services.ts';
import type { SettingsLimits } from '../api/settings-types.ts';
import { DataDirTroubleshoot } from './troubleshoot.ts';
import { AgentStoreProvider } from './agent-store.ts';
import { hostLimits } from '../settings/host-limits.ts';

export interface DashboardDeps {
  data: DataDir;
  engine: EngineController;
  store?: StoreProvider;
  settings?: SettingsProvider & { limits(): SettingsLimits };
}

export const DashboardInfoSchema = z.object({ url: z.string() });

export function dashboardServices(d: DashboardDeps): DashboardServices {
  return {
    engine: d.engine,
    docker: new DockerodeService(() => d.engine.docker()),
    troubleshoot: new DataDirTroubleshoot(d.data, d.engine),
    // The one host-limits rule (electron/settings/host-limits.ts), read when asked: the disk grows.
    get limits() { return d.settings ? d.settings.limits() : hostLimits(d.data.dataDisk); },
    // The image-store view needs the agent's inventory and, to switch, the settings service.
    ...(d.store ? { store: d.store } : d.settings ? { store: new AgentStoreProvider(d.engine, d.settings) } : {}),
    ...(d.settings ? { settings: d.settings } : {}),
  };
}

/** POST /v1/dashboard starts the dashboard once and answers its URL (with the token). */
export function registerDashboardRoutes(control: ControlServer, deps: () => DashboardDeps): { close(): Promise<void> } {
  let server: Promise<DashboardServer> | null = null;
  control.route('POST', '/v1/dashboard', async () => {
    server ??= (async () => {
      const s = new DashboardServer(dashboardServices(deps()), { port: Number(process.env.BERTH_DASHBOARD_PORT ?? 0) });
      await s.listen();
      return s;
    })().catch((e: unknown) => { server = null; throw e; });
    return { url: (await server).url };
  });
  return { close: async () => { if (server) await (await server).close().catch(() => undefined); } };
}
