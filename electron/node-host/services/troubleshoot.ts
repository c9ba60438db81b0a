// Clean / Purge data and Reset to factory defaults on the engine's data dir. Both stop the engine
// first, so nothing writes to the data disk while it is deleted, and boot fresh afterwards.
import fs from 'node:fs';
import type { DataDir } from '../../../engine/host/paths.ts';
import type { EngineStatus } from '../../../engine/host/engine-types.ts';
import type { DiagnosticsResult, TroubleshootPlan } from '../api/contract.ts';
import type { GuestLink } from '../../../engine/host/guest-link.ts';
import { defaultDiagnosticsFile, writeDiagnostics } from '../../../engine/host/diagnostics.ts';
import type { EngineLike, SettingsProvider, TroubleshootService } from './services.ts';

function sizeOf(file: string): string {
  try {
    // qcow2 grows on use: the allocated blocks are what the user gets back.
    const st = fs.statSync(file);
    return `${((st.blocks * 512) / 1e9).toFixed(1)} GB on disk`;
  } catch {
    return 'not created yet';
  }
}

export class DataDirTroubleshoot implements TroubleshootService {
  /** `guest`: the running engine's link, for the guest's side of a diagnostics archive. */
  constructor(
    private readonly data: DataDir,
    private readonly engine: EngineLike,
    private readonly guest: () => GuestLink | null = () => null,
  ) {}

  plan(): TroubleshootPlan {
    const disk = `the VM data disk ${this.data.dataDisk} (${sizeOf(this.data.dataDisk)})`;
    const contents = [
      'all images and containers of both image stores (containerd and classic)',
      'all volumes and the build cache',
      'the Docker Engine configuration (daemon.json)',
    ];
    return {
      purge: {
        deletes: [disk, ...contents],
        keeps: [`your settings (${this.data.settingsFile})`, 'the VM image and SSH keys'],
      },
      factoryReset: {
        deletes: [
          disk,
          ...contents,
          `your settings (${this.data.settingsFile}): CPUs, memory, daemon.json, image store choice`,
        ],
        keeps: ['the VM image and SSH keys'],
      },
    };
  }

  async purge(): Promise<EngineStatus> {
    await this.engine.stop();
    fs.rmSync(this.data.dataDisk, { force: true });
    return this.engine.start();
  }

  async diagnostics(output: string | undefined, settings?: SettingsProvider): Promise<DiagnosticsResult> {
    const file = output ?? defaultDiagnosticsFile(this.data);
    const view = settings ? await settings.view() : undefined;
    const files = await writeDiagnostics({
      data: this.data,
      status: this.engine.status(),
      guest: this.guest(),
      settings: view?.settings,
      out: file,
    });
    return { file, files };
  }

  async factoryReset(settings: SettingsProvider): Promise<EngineStatus> {
    await settings.factoryReset();
    return this.engine.start();
  }
}
