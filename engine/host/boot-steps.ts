// A start as a list of named steps: each prints its progress line when it begins, is timed for
// the start timeline, and a failure names the step it happened in.
export interface BootStep<N extends string = string> {
  name: N;
  /** Work whose result the progress line names (it counts as this step's, failures included). */
  prepare?: () => Promise<void>;
  /** The progress line's detail, read when the step begins (after prepare). */
  detail?: () => string | undefined;
  run: () => Promise<void>;
}

export interface TimelineEntry { stage: string; detail?: string; startMs: number; ms: number; }

/** A failure in one step: `berth status` shows the step with the error. */
export class BootStepError extends Error {
  constructor(readonly step: string, override readonly cause: Error, readonly console: string[] = []) {
    super(`${step}: ${cause.message}`);
  }
}

export async function runSteps<N extends string>(steps: Array<BootStep<N>>, t0: number, onStage: (name: N, detail?: string) => void, timeline: TimelineEntry[]): Promise<void> {
  for (const s of steps) {
    const start = Date.now();
    let detail: string | undefined;
    try {
      await s.prepare?.();
      detail = s.detail?.();
      onStage(s.name, detail);
      await s.run();
    } catch (e) {
      // Work shared between steps (the SSH link a later step needs) names the step it belongs to.
      throw e instanceof BootStepError ? e : new BootStepError(s.name, e as Error);
    } finally {
      timeline.push({ stage: s.name, detail, startMs: start - t0, ms: Date.now() - start });
    }
  }
}
