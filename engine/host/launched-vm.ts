// What a launched (or attached) VM hands the boot steps after it, and the two promise helpers those
// steps race with: the VM's end, and a result that is collected later than it is asked for.
import type { MuxLink } from './mux-link.ts';
import type { VmHandle } from './vm-driver.ts';

/** What a launched (or attached) VM gives the steps after it. */
export interface Launched {
  vm: VmHandle;
  /** Rejects when the VM ends: every wait on the guest races it. */
  ended: Promise<never>;
  /** This host's agent bundle, built while the VM boots. */
  bundle: Promise<Buffer>;
  /** The data port; null when the image has none (SSH carries everything then). */
  mux: MuxLink | null;
}

/** A promise whose rejection is handled where it is awaited, not reported as unhandled meanwhile. */
export function quietly<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Rejects (with why) once the VM exits. */
export function endedWith(vm: VmHandle, why: string): Promise<never> {
  return quietly(new Promise<never>((_, reject) => vm.once('exit', () => reject(new Error(why)))));
}
