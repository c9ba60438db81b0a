// A call to the guest that the VM's end cut off says so. The host sees the link drop a moment
// before it sees QEMU exit, so the call's own error ("Connection dropped") comes first and tells
// the user nothing; the engine's verdict ("the VM stopped unexpectedly (qemu killed by SIGKILL)")
// is what they need, and `berth status` says the same.
import { status as grpcStatus } from '@grpc/grpc-js';
import type { EngineStatus } from './engine-types.ts';

export interface WatchedEngine {
  status(): EngineStatus;
  on(event: 'status', listener: (s: EngineStatus) => void): unknown;
  off(event: 'status', listener: (s: EngineStatus) => void): unknown;
}

/** gRPC's words for a call whose channel went away under it. */
const LINK_LOST = new Set<number>([grpcStatus.UNAVAILABLE, grpcStatus.CANCELLED]);

function ended(s: EngineStatus): string | null {
  if (s.state === 'running') return null;
  return s.error?.message ?? `the engine is ${s.state}`;
}

/**
 * The error to report for a failed guest call: the engine's own reason when it is no longer
 * running, or stops within graceMs of a lost link; otherwise the call's error as it was.
 */
export async function engineCallFailure(engine: WatchedEngine, e: unknown, graceMs = 3000): Promise<Error> {
  const err = e instanceof Error ? e : new Error(String(e));
  const now = ended(engine.status());
  if (now) return new Error(now);
  if (!LINK_LOST.has((err as Error & { grpcCode?: number }).grpcCode ?? -1)) return err;
  const why = await new Promise<string | null>((resolve) => {
    const done = (v: string | null): void => {
      clearTimeout(timer);
      engine.off('status', onStatus);
      resolve(v);
    };
    const onStatus = (s: EngineStatus): void => {
      const w = ended(s);
      if (w) done(w);
    };
    const timer = setTimeout(() => done(null), graceMs);
    engine.on('status', onStatus);
  });
  return why ? new Error(why) : err;
}
