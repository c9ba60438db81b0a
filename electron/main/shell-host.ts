// The host services the desktop shell runs in its main process: the same Berth host the CLI
// starts (electron/host/berth-host.ts: engine, settings, control API, so `berth` commands reach
// the app's engine) and the same ApiHandler and EventHub the headless dashboard serves, wired to
// the windows instead of a WebSocket.
import { z } from 'zod';
import type { EventName } from '../api/contract.ts';
import { ControlClient } from '../control/control-client.ts';
import { ApiHandler, type Broadcast } from '../dashboard/api-handler.ts';
import { EventHub } from '../dashboard/event-hub.ts';
import { dashboardServices } from '../dashboard/host-routes.ts';
import { startHost, type BerthHost } from '../host/berth-host.ts';
import type { DataDir } from '../../engine/host/paths.ts';
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

const PingSchema = z.object({ pid: z.number().int() });

export async function startShellHost(data: DataDir, opts: ShellHostOptions): Promise<ShellHost> {
  await yieldDataDir(data, opts);
  const host = await startHost(data, { dockerContext: opts.dockerContext }, opts.onExit);
  const services = dashboardServices({ data, engine: host.engine, settings: host.settings });
  const listeners = new Set<(name: EventName, data: unknown) => void>();
  const broadcast: Broadcast = (name, payload) => { for (const l of listeners) l(name, payload); };
  const handler = new ApiHandler(services, broadcast);
  const hub = new EventHub(services, broadcast);
  hub.start();
  return {
    data, host, handler,
    engine: host.engine,
    settings: host.settings,
    dockerSocket: data.dockerSocket,
    onEvent: (l) => { listeners.add(l); return () => listeners.delete(l); },
    shutdown: async () => {
      hub.close();
      await host.shutdown();
    },
  };
}

/** When another host answers on the control socket, asks whether to take over and, if so, stops it. */
async function yieldDataDir(data: DataDir, opts: ShellHostOptions): Promise<void> {
  const client = new ControlClient(data.controlSocket);
  let pid: number;
  try { pid = (await client.call('GET', '/v1/ping', PingSchema)).pid; } catch { return; }
  if (!opts.takeOver || !(await opts.takeOver(pid))) {
    throw new Error(`Berth is already running in the background for ${data.root} (pid ${pid}, started by the berth command). Stop it with 'berth stop' and open Berth again.`);
  }
  // /v1/shutdown stops the VM cleanly, then the host exits and releases the data dir.
  await client.call('POST', '/v1/shutdown', z.unknown());
  const deadline = Date.now() + (opts.takeOverTimeoutMs ?? 60_000);
  while (await client.alive()) {
    if (Date.now() > deadline) throw new Error(`the Berth host (pid ${pid}) did not stop in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
