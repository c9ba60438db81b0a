// The `berth` command line: each command is a thin mapping onto calls of the one contract
// (electron/node-host/api/contract.ts), made on the Berth host's control socket.
//
// Only what every command needs is imported here; each command imports its own modules when it
// runs (the bundle bin/berth.js runs is split along these imports), so `help` and `status` do not
// load dockerode, gRPC, ssh2 and the contract's schemas (half a second, measured).
import fs from 'node:fs';
import { DataDir } from '../../../engine/host/paths.ts';
import type { EngineStatus } from '../../../engine/host/engine-types.ts';
import type { ControlClient } from '../control/control-client.ts';
import { formatStatus, formatTimeline } from './format.ts';

const hostProcess = () => import('./host-process.ts');

const USAGE = `usage: berth <command>

  start [--verbose]  start the VM and the Docker Engine (prints each stage; --verbose: the
                     start timeline, host and guest, and its slowest stages)
  stop               stop the VM cleanly
  restart            stop, then start
  status [--json]    state, accelerator, docker socket, versions
  shell [cmd…]       a shell, or one command, inside the VM
  dashboard [--build] serve the dashboard on 127.0.0.1 and print its URL (with its token)
  store [--json]     the active image store, what the hidden one holds, and the disk usage
  store use containerd|classic
                     switch image stores (Apply & Restart: nothing is deleted)
  store migrate      copy the classic store's tagged images into the containerd store
  store reclaim classic|containerd [--yes]
                     delete the hidden store's images, containers and build cache (lists
                     them and asks first; --yes without asking) and give the space back to
                     the host; the active store is refused
  df [--json]        disk usage: each image store's images, containers and build cache, the
                     volumes, the data disk in the VM and its file on the host
  settings get|set|propose …
                     read or change settings (berth settings help)
  reset --factory    delete the VM data (both image stores), restore default settings
  diagnose [--output FILE.tar.gz]
                     one archive for a bug report: logs, guest journal, docker info, settings,
                     start timeline (no keys, no tokens)
  api schema         the contract every front end speaks, as JSON Schema
  api call <name> [json]
                     one contract call on the running host, its answer as JSON
  help               this text

The data dir is ${new DataDir().root} (set BERTH_HOME to use another).`;

export class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const data = new DataDir();
  switch (cmd) {
    case 'start':
      return (await hostProcess()).withHost(data, (c) => engineAction(c, 'engine.start', rest.includes('--verbose')));
    case 'restart':
      return (await hostProcess()).withHost(data, (c) => engineAction(c, 'engine.restart', rest.includes('--verbose')));
    case 'stop': {
      const stopped = await (await hostProcess()).withRunningHost(data, (c) => c.call('host.shutdown', {}));
      console.log(stopped ? 'Berth stopped.' : 'Berth is not running.');
      return 0;
    }
    case 'status': {
      const st = await currentStatus(data);
      if (rest.includes('--json')) console.log(JSON.stringify(st, null, 2));
      else console.log(formatStatus(st));
      return st.state === 'error' ? 1 : 0;
    }
    case 'shell': {
      const st = await currentStatus(data);
      if (st.state !== 'running' || !st.sshPort)
        throw new Error(`the engine is not running (state: ${st.state}); run 'berth start' first`);
      return (await import('./shell.ts')).shell(data, st.sshPort, rest);
    }
    case 'host':
      return (await import('./run-host.ts')).runHost(data);
    case 'dashboard':
      return (await import('./dashboard-command.ts')).dashboardCommand(data, rest);
    case 'settings':
      return (await import('./settings-commands.ts')).settingsCommand(data, rest);
    case 'reset':
      return (await import('./settings-commands.ts')).resetCommand(data, rest);
    case 'store': {
      const { storeCommand } = await import('./store-commands.ts');
      return (await hostProcess()).withHost(data, (c) => storeCommand(c, rest, (m) => new UsageError(m)));
    }
    case 'df': {
      const { dfCommand, parseDfArgs } = await import('./disk-commands.ts');
      const opts = parseDfArgs(rest, (m) => new UsageError(m));
      return (await hostProcess()).withHost(data, (c) => dfCommand(c, opts));
    }
    case 'api':
      return (await import('./api-commands.ts')).apiCommand(data, rest, (m) => new UsageError(m));
    case 'diagnose':
      return (await import('./diagnose-command.ts')).diagnoseCommand(data, rest, (m) => new UsageError(m));
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

/** The running host's engine status; stopped when no host runs (none is started for this). */
async function currentStatus(data: DataDir): Promise<EngineStatus> {
  // No control socket, no host: known without loading the contract's client (zod and its schemas);
  // unless a VM an earlier host left runs (its record is there): then a host comes back for it.
  if (!fs.existsSync(data.controlSocket) && !fs.existsSync(data.vmRecordFile))
    return { state: 'stopped', dockerSocket: data.dockerSocket, dataDir: data.root };
  const quick = fs.existsSync(data.controlSocket)
    ? await (await import('../control/quick-status.ts')).quickStatus(data.controlSocket)
    : null;
  const st = quick ?? (await (await hostProcess()).withRunningHost(data, (c) => c.call('engine.status', {})));
  return st ?? { state: 'stopped', dockerSocket: data.dockerSocket, dataDir: data.root };
}

/** engine.start or engine.restart, printing each 'engine.stage' event as it arrives. */
async function engineAction(
  client: ControlClient,
  name: 'engine.start' | 'engine.restart',
  verbose: boolean,
): Promise<number> {
  // The guest's half of the timeline is read just after the start: it arrives as a status event.
  let guestTimeline: ((st: EngineStatus) => void) | null = null;
  const off = client.onEvent((e) => {
    if (e.name === 'engine.stage')
      console.log(
        `[${(e.data.elapsedMs / 1000).toFixed(1).padStart(5)}s] ${e.data.stage}${e.data.detail ? `: ${e.data.detail}` : ''}`,
      );
    if (e.name === 'engine.status' && e.data.guestTimeline) guestTimeline?.(e.data);
  });
  try {
    let st = await client.call(name, {});
    console.log(`Docker Engine ${st.versions?.docker ?? ''} is running. Socket: ${st.dockerSocket}`);
    console.log(`  export DOCKER_HOST=unix://${st.dockerSocket}    (or: docker context use berth)`);
    if (verbose) {
      st = await new Promise<EngineStatus>((resolve) => {
        const timer = setTimeout(() => resolve(st), 30_000);
        guestTimeline = (s) => {
          clearTimeout(timer);
          resolve(s);
        };
        void client.call('engine.status', {}).then((now) => {
          if (now.guestTimeline) guestTimeline?.(now);
        });
      });
      console.log(formatTimeline(st));
    }
    return 0;
  } catch (e) {
    console.error(`berth: start failed: ${(e as Error).message}`);
    // The VM's last words say why a boot failed; status keeps them, the start prints them at once.
    const st = await client.call('engine.status', {}).catch(() => undefined);
    if (st?.error?.console.length)
      console.error(['last console lines:', ...st.error.console.map((l) => `  ${l}`)].join('\n'));
    return 1;
  } finally {
    off();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    if (e instanceof UsageError) {
      console.error(`berth: ${e.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(`berth: ${e.message}`);
    process.exitCode = 1;
  },
);
