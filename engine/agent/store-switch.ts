// Switching image stores: daemon.json edit, dockerd restart, DriverStatus check, rollback on failure.
import fs from 'node:fs';
import {
  parseDaemonJson,
  serialize,
  storeFromConfig,
  withStore,
  withUserKeys,
  type JsonObject,
} from './daemon-config.ts';
import { dockerInfo, storeFromInfo } from './docker-api.ts';
import { restartDockerd, systemctl } from './dockerd-service.ts';
import { publish } from './events.ts';
import { toStoreEnum, type StoreName } from './agent-types.ts';

export const DAEMON_JSON = '/etc/docker/daemon.json';

let switching: Promise<unknown> = Promise.resolve();
let pending = 0;
/** Store switches, migrations, resets and reclaims run one at a time. */
export function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  pending++;
  const next = switching.then(fn, fn).finally(() => {
    pending--;
  });
  switching = next.catch(() => undefined);
  return next;
}

/** True while a switch, migration, reset or reclaim runs or waits. */
export function storeBusy(): boolean {
  return pending > 0;
}

export function readDaemonText(): string {
  try {
    return fs.readFileSync(DAEMON_JSON, 'utf8');
  } catch {
    return '{}\n';
  }
}

function writeAtomic(text: string): void {
  fs.writeFileSync(`${DAEMON_JSON}.tmp`, text);
  fs.renameSync(`${DAEMON_JSON}.tmp`, DAEMON_JSON);
}

export interface SwitchResult {
  store: StoreName;
  changed: boolean;
  restartMs: number;
}

/** Must run inside exclusive(). */
export async function switchStore(store: StoreName, userJson?: string): Promise<SwitchResult> {
  const previous = readDaemonText();
  const current = parseDaemonJson(previous);
  let next: JsonObject = withStore(current, store);
  if (userJson !== undefined) next = withUserKeys(next, parseDaemonJson(userJson));
  const nextText = serialize(next);
  // Only an unchanged configuration asks dockerd which store runs (an earlier switch may have
  // failed to apply it): a changed one restarts dockerd whatever it answers, so it is not asked.
  if (nextText === serialize(current) && (await dockerInfo().then(storeFromInfo, () => null)) === store) {
    return { store, changed: false, restartMs: 0 };
  }

  publish('store-switching', { store: toStoreEnum(store), message: `switching to the ${store} image store` });
  const t0 = Date.now();
  writeAtomic(nextText);
  try {
    await restartDockerd();
    const actual = storeFromInfo(await dockerInfo());
    if (actual !== store) throw new Error(`dockerd came back on the ${actual} store instead of ${store}`);
  } catch (e) {
    // Put the old configuration back and bring dockerd up on it; report dockerd's own error.
    writeAtomic(previous);
    await systemctl('reset-failed', 'docker.service').catch(() => undefined);
    await restartDockerd().catch(() => undefined);
    const back = await dockerInfo().then(storeFromInfo, () => storeFromConfig(current));
    publish('store-switched', {
      store: toStoreEnum(back),
      message: `switch failed, back on ${back}: ${(e as Error).message}`,
    });
    throw e;
  }
  const restartMs = Date.now() - t0;
  publish('store-switched', { store: toStoreEnum(store), message: `the ${store} image store is active` });
  return { store, changed: true, restartMs };
}
