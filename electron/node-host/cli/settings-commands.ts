// `berth settings get|set|propose` and `berth reset --factory`: the contract's settings.get,
// settings.propose, settings.apply and settings.reset on the running host (started if needed). A
// factory reset falls back to doing the work itself when the host or the VM is broken.
import type { DataDir } from '../../../engine/host/paths.ts';
import { ApiError } from '../api/contract.ts';
import type { SettingsView } from '../api/settings-types.ts';
import { hostPid, isBusy, type ControlClient } from '../control/control-client.ts';
import { OfflineEnginePort, stopUnresponsiveHost } from '../settings/offline-reset.ts';
import { CliSettingsError, settingsFromCli } from '../settings/patch.ts';
import { SETTING_KEYS, getKey, isSettingKey, type RestartKind } from '../settings/schema.ts';
import { SettingsService } from '../settings/service.ts';
import { withHost, withRunningHost } from './host-process.ts';
import { terminal, type Prompt } from './terminal.ts';

export const SETTINGS_USAGE = `usage:
  berth settings get [key]              all settings as JSON, or one value
  berth settings set key=value…         apply now ("Apply & Restart"): restarts what needs it
  berth settings propose key=value…     what would change and what would restart
  berth reset --factory [--yes]         delete the VM data (both image stores), restore defaults

Keys: ${SETTING_KEYS.join(', ')}
Values are JSON when they parse as JSON, else text: vm.cpus=4 accelerator=tcg dockerEngine='{"debug":true}'
Features (containerd image store only): features.lazyPulling=true (eStargz lazy pulling), features.wasm=true`;

const RESTART_TEXT: Record<RestartKind, string> = {
  none: 'no restart',
  engine: 'Docker Engine restart',
  vm: 'VM restart',
};

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function usage(message: string): number {
  console.error(`berth: ${message}\n\n${SETTINGS_USAGE}`);
  return 2;
}

export async function settingsCommand(data: DataDir, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    console.log(SETTINGS_USAGE);
    return 0;
  }
  if (sub === 'get') {
    const key = rest[0];
    if (rest.length > 1) return usage('settings get takes at most one key');
    if (key !== undefined && !isSettingKey(key)) return usage(`${key} is not a setting`);
    const view = await readView(data);
    for (const n of view.notices) console.error(`berth: notice: ${n}`);
    if (key) console.log(show(getKey(view.settings, key)));
    else {
      console.log(JSON.stringify(view.settings, null, 2));
      if (view.locked.length) console.error(`Locked by the administrator: ${view.locked.join(', ')}`);
    }
    return 0;
  }
  if (sub !== 'set' && sub !== 'propose')
    return usage(sub ? `unknown settings command '${sub}'` : 'settings needs a command');
  if (!rest.length) return usage(`settings ${sub} needs at least one key=value`);
  let patch;
  try {
    patch = settingsFromCli(rest);
  } catch (e) {
    if (e instanceof CliSettingsError) {
      console.error(`berth: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (sub === 'set')
    return withHost(data, (client) => withProgress(client, () => client.call('settings.apply', patch)));
  return withHost(data, async (client) => {
    const p = await client.call('settings.propose', patch);
    for (const e of p.errors) console.error(`berth: ${e.message}`);
    if (p.errors.length) return 1;
    if (!p.changes.length) {
      console.log('Nothing would change.');
      return 0;
    }
    for (const c of p.changes)
      console.log(`  ${c.key}: ${show(c.from)} -> ${show(c.to)}  (${RESTART_TEXT[c.restart]})`);
    console.log(
      p.restart === 'none'
        ? 'Applying needs no restart.'
        : p.restart === 'engine'
          ? 'Applying restarts the Docker Engine (the VM keeps running).'
          : 'Applying restarts the VM.',
    );
    return 0;
  });
}

/**
 * A running host's view; with no host, the file read by the same code the host uses, read only:
 * a command that only reads starts no background process and writes nothing.
 */
async function readView(data: DataDir): Promise<SettingsView> {
  const view = await withRunningHost(data, (client) => client.call('settings.get', {}));
  return (
    view ?? new SettingsService(data, new OfflineEnginePort(data), { readOnly: true, log: () => undefined }).view()
  );
}

/**
 * Prints the host's settings.progress events while the call runs; 0 when it succeeds, 1 when the
 * host refuses or fails it (its message printed). Not reaching the host at all is thrown.
 */
async function withProgress(
  client: ControlClient,
  call: () => Promise<unknown>,
  onRefused: (e: ApiError) => void = () => {},
): Promise<number> {
  const off = client.onEvent((e) => {
    if (e.name === 'settings.progress') console.log(e.data.message);
  });
  try {
    await call();
    return 0;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    onRefused(e);
    console.error(`berth: ${e.message}`);
    return 1;
  } finally {
    off();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(fallback), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(fallback);
      },
    );
  });
}

export async function resetCommand(data: DataDir, args: string[], io: Prompt = terminal): Promise<number> {
  const unknown = args.filter((a) => a !== '--factory' && a !== '--yes' && a !== '-y');
  if (!args.includes('--factory') || unknown.length) return usage('reset needs --factory (and optionally --yes)');
  if (!args.includes('--yes') && !args.includes('-y')) {
    if (!io.isTTY) {
      console.error('berth: refusing a factory reset without confirmation: pass --yes (no terminal to ask on)');
      return 1;
    }
    const answer = await io.ask(
      'A factory reset stops the engine, deletes all images, containers and volumes (both image stores) and restores the default settings.\nType "yes" to continue: ',
    );
    if (answer.trim().toLowerCase() !== 'yes') {
      console.error('Factory reset cancelled.');
      return 1;
    }
  }
  // A hung host accepts the connection and never answers: do not wait on it for long.
  if ((await withTimeout(hostPid(data.controlSocket), 5_000, null)) !== null) {
    let busy = false;
    const code = await withRunningHost(data, (client) =>
      withProgress(
        client,
        () => client.call('settings.reset', { factory: true }),
        (e) => {
          busy = isBusy(e);
        },
      ),
    ).catch((e: Error) => {
      console.error(`berth: the Berth host could not reset: ${e.message}`);
      return 1;
    });
    if (code === 0) return 0;
    if (busy) return 1;
    console.log('Doing the factory reset without the Berth host.');
  }
  return offlineReset(data);
}

async function offlineReset(data: DataDir): Promise<number> {
  const stopped = await stopUnresponsiveHost(data);
  if (stopped) console.log(`${stopped[0]!.toUpperCase()}${stopped.slice(1)}.`);
  const service = new SettingsService(data, new OfflineEnginePort(data));
  service.on('progress', (m: string) => console.log(m));
  try {
    await service.factoryReset();
    return 0;
  } catch (e) {
    console.error(`berth: ${(e as Error).message}`);
    return 1;
  }
}
