// The DashboardServices of a Berth host process (which owns the engine and the settings): what
// its control socket, the desktop shell's windows and `berth dashboard`'s server all serve.
import type { DataDir } from '../../../engine/host/paths.ts';
import type { EngineController } from '../../../engine/host/engine-controller.ts';
import { DockerodeService } from './docker-service.ts';
import type { DashboardServices, SettingsProvider, StoreProvider } from './services.ts';
import type { SettingsLimits } from '../api/settings-types.ts';
import { DataDirTroubleshoot } from './troubleshoot.ts';
import { AgentStoreProvider } from './agent-store.ts';
import { VolumeService } from './volume-service.ts';
import { hostLimits } from '../settings/host-limits.ts';

export interface DashboardDeps {
  data: DataDir;
  engine: EngineController;
  store?: StoreProvider;
  settings?: SettingsProvider & { limits(): SettingsLimits };
}

export function dashboardServices(d: DashboardDeps): DashboardServices {
  return {
    engine: d.engine,
    docker: new DockerodeService(() => d.engine.docker()),
    troubleshoot: new DataDirTroubleshoot(d.data, d.engine, () =>
      d.engine.status().state === 'running' ? d.engine.guest : null,
    ),
    // The one host-limits rule (electron/node-host/settings/host-limits.ts), read when asked: the disk grows.
    get limits() {
      return d.settings ? d.settings.limits() : hostLimits(d.data.dataDisk);
    },
    // The image-store view needs the agent's inventory and, to switch, the settings service.
    ...(d.store
      ? { store: d.store }
      : d.settings
        ? { store: new AgentStoreProvider(d.engine, d.settings, d.data.dataDisk) }
        : {}),
    ...(d.settings ? { settings: d.settings } : {}),
    volumes: new VolumeService({ docker: () => d.engine.docker(), agent: () => d.engine.agent }),
  };
}
