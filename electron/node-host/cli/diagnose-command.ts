// `berth diagnose [--output FILE.tar.gz]`: the running host writes the archive (with the guest's
// side); with no host running it is written here from the data dir alone, starting nothing.
import path from 'node:path';
import type { DataDir } from '../../../engine/host/paths.ts';
import { defaultDiagnosticsFile, writeDiagnostics } from '../../../engine/host/diagnostics.ts';
import { OfflineEnginePort } from '../settings/offline-reset.ts';
import { SettingsService } from '../settings/service.ts';
import { withRunningHost } from './host-process.ts';

export async function diagnoseCommand(data: DataDir, args: string[], usage: (m: string) => Error): Promise<number> {
  let output: string | undefined;
  const at = args.indexOf('--output');
  if (at >= 0) {
    const file = args[at + 1];
    if (!file || !file.endsWith('.tar.gz')) throw usage('diagnose --output needs a file name ending in .tar.gz');
    output = path.resolve(file);
  }
  const fromHost = await withRunningHost(data, (c) => c.call('troubleshoot.diagnostics', output ? { output } : {}));
  let file = fromHost?.file;
  if (!fromHost) {
    file = output ?? defaultDiagnosticsFile(data);
    const settings = new SettingsService(data, new OfflineEnginePort(data), {
      readOnly: true,
      log: () => undefined,
    }).view().settings;
    await writeDiagnostics({
      data,
      status: { state: 'stopped', dockerSocket: data.dockerSocket, dataDir: data.root },
      guest: null,
      settings,
      out: file,
    });
  }
  console.log(`Diagnostics written to ${file}`);
  console.log('It holds logs, versions and configuration, and no keys or tokens: attach it to a bug report.');
  return 0;
}
