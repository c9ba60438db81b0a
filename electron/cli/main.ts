// The `berth` command line. Every command talks to the Berth host over the control API.
import { DataDir } from '../../engine/host/paths.ts';
import { EngineStatusSchema, type EngineStatus } from '../../engine/host/engine-types.ts';
import { ControlClient, ControlError } from '../control/control-client.ts';
import { ensureHost } from './host-process.ts';
import { shell } from './shell.ts';
import { runHost } from './run-host.ts';
import { formatStatus } from './format.ts';
import { dashboardCommand } from '../dashboard/cli.ts';
import { resetCommand, settingsCommand } from './settings-commands.ts';
import { storeCommand } from './store-commands.ts';

const USAGE = `usage: berth <command>

  start              start the VM and the Docker Engine (prints each stage)
  stop               stop the VM cleanly
  restart            stop, then start
  status [--json]    state, accelerator, docker socket, versions
  shell [cmd…]       a shell, or one command, inside the VM
  dashboard [--build] serve the dashboard on 127.0.0.1 and print its URL (with its token)
  store [--json]     the active image store and what the hidden one holds
  store use containerd|classic
                     switch image stores (Apply & Restart: nothing is deleted)
  store migrate      copy the classic store's tagged images into the containerd store
  settings get|set|propose …
                     read or change settings (berth settings help)
  reset --factory    delete the VM data (both image stores), restore default settings
  help               this text

The data dir is ${new DataDir().root} (set BERTH_HOME to use another).`;

export class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const data = new DataDir();
  switch (cmd) {
    case 'start': return streamAction(await ensureHost(data), '/v1/engine/start');
    case 'restart': return streamAction(await ensureHost(data), '/v1/engine/restart');
    case 'stop': {
      const client = new ControlClient(data.controlSocket);
      if (!(await client.alive())) { console.log('Berth is not running.'); return 0; }
      await client.call('POST', '/v1/shutdown', EngineStatusSchema);
      console.log('Berth stopped.');
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
      if (st.state !== 'running' || !st.sshPort) throw new Error(`the engine is not running (state: ${st.state}); run 'berth start' first`);
      return shell(data, st.sshPort, rest);
    }
    case 'host': return runHost(data);
    case 'dashboard': return dashboardCommand(await ensureHost(data), rest);
    case 'settings': return settingsCommand(data, rest);
    case 'reset': return resetCommand(data, rest);
    case 'store': return storeCommand(await ensureHost(data), rest, (m) => new UsageError(m));
    case undefined: case 'help': case '--help': case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

async function currentStatus(data: DataDir): Promise<EngineStatus> {
  const client = new ControlClient(data.controlSocket);
  if (!(await client.alive())) return { state: 'stopped', dockerSocket: data.dockerSocket, dataDir: data.root };
  return client.call('GET', '/v1/status', EngineStatusSchema);
}

async function streamAction(client: ControlClient, path: string): Promise<number> {
  let result = 1;
  await client.stream('POST', path, (m) => {
    if (m.type === 'stage') console.log(`[${(m.stage.elapsedMs / 1000).toFixed(1).padStart(5)}s] ${m.stage.stage}${m.stage.detail ? `: ${m.stage.detail}` : ''}`);
    else if (m.type === 'status') {
      console.log(`Docker Engine ${m.status.versions?.docker ?? ''} is running. Socket: ${m.status.dockerSocket}`);
      console.log(`  export DOCKER_HOST=unix://${m.status.dockerSocket}    (or: docker context use berth)`);
      result = 0;
    } else if (m.type === 'error') console.error(`berth: start failed: ${m.message}`);
  });
  return result;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => {
  if (e instanceof UsageError) { console.error(`berth: ${e.message}\n\n${USAGE}`); process.exitCode = 2; return; }
  const msg = e instanceof ControlError ? e.message : e.message;
  console.error(`berth: ${msg}`);
  process.exitCode = 1;
});
