// What the settings ask of each engine start, once dockerd answers and before any store is
// applied: the image store decided from the data disk when the settings file could not say, and
// the daemon.json keys. (A raised vm.diskGiB needs nothing here: the guest's berth-init grows the
// filesystem at boot.)
import type { InventoryReply, StatusReply, StoreName } from '../../../engine/agent/agent-types.ts';
import { fromStoreEnum } from '../../../engine/agent/agent-types.ts';
import { storeOf } from '../../../engine/shared/image-store.ts';
import { bootDaemonJson } from '../../../engine/host/boot-daemon-json.ts';
import type { SettingsService } from './service.ts';
import { classicContents } from '../store/store-decision.ts';
import { anyFeatureOn, bootFeatures, featureDaemonKeys } from '../../../engine/host/features.ts';
import type { GuestRunner } from '../../../engine/host/feature-payload.ts';

export interface BootGuest {
  agent: { inventory(): Promise<InventoryReply>; status(): Promise<StatusReply> };
  /** Commands in the VM: only a feature that is on uses it. */
  ssh?: GuestRunner;
}

export async function bootEngineConfig(
  settings: SettingsService,
  guest: BootGuest,
  log: (line: string) => void,
): Promise<{ store: StoreName; userDaemonJson: string }> {
  let store: StoreName;
  try {
    store = await settings.storeForBoot(() => classicContents(guest.agent));
  } catch (e) {
    // Without the inventory there is no safe choice: stay on the store dockerd runs, decide next start.
    const running = fromStoreEnum((await guest.agent.status()).active_store);
    store = running ?? storeOf(settings.get());
    log(
      `settings: the image store could not be decided (${(e as Error).message}); staying on the ${store} store dockerd runs`,
    );
  }
  const { dockerEngine, features } = settings.get();
  // A feature that is on is set up in the VM before dockerd restarts with its keys; the boot handed
  // dockerd the daemon.json without them (bootDaemonJsonFor), so a boot with none on costs nothing.
  if (anyFeatureOn(features)) {
    if (!guest.ssh) throw new Error('the features need a link to the VM to set them up');
    for (const note of await bootFeatures(guest.ssh, features, dockerEngine)) log(`settings: ${note}`);
  }
  return { store, userDaemonJson: JSON.stringify(featureDaemonKeys(dockerEngine, features)) };
}

/**
 * The daemon.json handed to the VM before dockerd's first start, so a boot on either store
 * starts dockerd once; null while the store is undecided (then the disk's own daemon.json runs
 * first and the store is decided and applied once dockerd answers).
 */
export function bootDaemonJsonFor(settings: SettingsService): string | null {
  if (settings.storeUndecided) return null;
  const s = settings.get();
  return bootDaemonJson(storeOf(s), JSON.stringify(s.dockerEngine));
}
