// The image-store switch as a use case, on the host (the guest's half is engine/agent/store-switch.ts).
//   decide:    the data disk, when the settings file cannot say (store-decision.ts, at boot);
//   apply:     a settings change ("Apply & Restart"): the settings service saves it and the engine
//              port has the guest agent restart dockerd on the other store, journaled;
//   roll back: the settings service restores the previous settings when the engine refuses them;
//   verify:    dockerd's own word on which store it runs, after the apply;
//   report:    progress while it runs, the result, then what each store holds.
// `store.switch` (the banner's "Switch back", `berth store use`) and `settings.apply` with the
// store's key take this same path: the former through here, both through the settings service.
import { otherStore, storeSetting, STORE_LABEL, type ImageStore } from '../../../engine/shared/image-store.ts';
import { ApiError } from '../api/contract.ts';
import type { StoreProgress, StoreStatus, StoreSwitchResult } from '../api/store-types.ts';

export interface StoreSwitchDeps {
  /** Applies a settings change with Apply & Restart (the settings service). */
  applySetting(patch: { useContainerdSnapshotter: boolean }): Promise<unknown>;
  /** The store dockerd runs now, in its own words (DriverStatus through the guest agent). */
  activeStore(): Promise<ImageStore | null>;
  /** What each store holds, counted after the switch. */
  status(): Promise<StoreStatus>;
  progress(p: StoreProgress): void;
  changed(status: StoreStatus): void;
}

export async function switchStore(target: ImageStore, deps: StoreSwitchDeps): Promise<StoreSwitchResult> {
  const t0 = Date.now();
  deps.progress({
    step: `Switching to the ${target} image store`,
    detail: 'restarting the Docker Engine',
    done: false,
  });
  try {
    await deps.applySetting(storeSetting(target));
    const now = await deps.activeStore();
    if (now !== target) {
      throw new ApiError(
        `the switch to ${STORE_LABEL[target]} was applied, but dockerd runs ${now ? STORE_LABEL[now] : 'no known store'}: see 'berth diagnose'`,
        500,
      );
    }
  } finally {
    deps.progress({ step: 'done', done: true });
  }
  const result = { active: target, hidden: otherStore(target), ms: Date.now() - t0 };
  // What each store holds is counted after the answer: the switch is done once dockerd runs it.
  setImmediate(() => void deps.status().then(deps.changed, () => undefined));
  return result;
}
