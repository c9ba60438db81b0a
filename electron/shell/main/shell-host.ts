// The host services the desktop shell runs in its main process: the same Berth host the CLI
// starts (electron/node-host/process/berth-host.ts: engine, settings, control socket, so `berth` commands
// reach the app's engine) and an ApiHandler over the same services and events, wired to the
// windows instead of a socket.
import type { EventName } from '../../node-host/api/contract.ts';
import { callHost, hostPid } from '../../node-host/control/control-client.ts';
import { ApiHandler } from '../../node-host/services/api-handler.ts';
import { startHost, type BerthHost } from '../../node-host/process/berth-host.ts';
import type { DataDir } from '../../../engine/host/paths.ts';
import type { ShellHostLike } from './shell.ts';

export interface ShellHost extends ShellHostLike {
  data: DataDir;
  host: BerthHost;
  handler: ApiHandler;
}

export interface ShellHostOptions {
  /** Keep the `berth` docker context up to date at every engine start. */
  dockerContext: boolean;
  /** Called when the host has shut down (after the VM stopped). */
  onExit?: () => void;
  /**
   * Another Berth host (one `berth start` left running) owns this data dir: true asks it to stop
   * its VM and exit so the app takes over; false gives up with an error.
   */
  takeOver?: (pid: number) => Promise<boolean>;
  takeOverTimeoutMs?: number;
}

export async function startShellHost(data: DataDir, opts: ShellHostOptions): Promise<ShellHost> {
  await yieldDataDir(data, opts);
  const host = await startHost(data, { dockerContext: opts.dockerContext }, opts.onExit);
  // Windows get no host control: quitting is the shell's, not a page's, decision.
  const handler = new ApiHandler(host.services, host.events.broadcast);
  const listeners = new Set<(name: EventName, data: unknown) => void>();
  // The shell listens for its whole life, so the host's events flow while it runs.
  const unsubscribe = host.events.subscribe((name, payload) => {
    for (const l of listeners) l(name, payload);
  });
  return {
    data,
    host,
    handler,
    engine: host.engine,
    settings: host.settings,
    dockerSocket: data.dockerSocket,
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    shutdown: async () => {
      unsubscribe();
      await host.shutdown();
    },
  };
}

/** When another host answers on the control socket, asks whether to take over and, if so, stops it. */
async function yieldDataDir(data: DataDir, opts: ShellHostOptions): Promise<void> {
  const pid = await hostPid(data.controlSocket);
  if (pid === null) return;
  if (!opts.takeOver || !(await opts.takeOver(pid))) {
    throw new Error(
      `Berth is already running in the background for ${data.root} (pid ${pid}, started by the berth command). Stop it with 'berth stop' and open Berth again.`,
    );
  }
  // host.shutdown stops the VM cleanly, then the host exits and releases the data dir.
  await callHost(data.controlSocket, 'host.shutdown', {});
  const deadline = Date.now() + (opts.takeOverTimeoutMs ?? 60_000);
  while ((await hostPid(data.controlSocket)) !== null) {
    if (Date.now() > deadline) throw new Error(`the Berth host (pid ${pid}) did not stop in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
