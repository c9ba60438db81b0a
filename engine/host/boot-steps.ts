// A start as named steps: each prints its progress line when it begins, is timed for the start
// timeline, and a failure names the step it happened in. A step hands what it made to the next as
// its result, so a step can only use what exists by then (the compiler checks it).
export interface TimelineEntry {
  stage: string;
  detail?: string;
  startMs: number;
  ms: number;
}

/** A failure in one step: `berth status` shows the step with the error. */
export class BootStepError extends Error {
  constructor(
    readonly step: string,
    override readonly cause: Error,
    readonly console: string[] = [],
  ) {
    super(`${step}: ${cause.message}`);
  }
}

export interface Step<P, T> {
  /** Work whose result the progress line names (it counts as this step's, failures included). */
  prepare?: () => Promise<P>;
  /** The progress line's detail, from what prepare found. */
  detail?: (prepared: P) => string | undefined;
  run: (prepared: P) => Promise<T>;
}

export type RunStep<N extends string> = <T, P = undefined>(name: N, s: Step<P, T>) => Promise<T>;

/** Runs steps one at a time, each reported to onStage and recorded in timeline. */
export function stepper<N extends string>(
  t0: number,
  onStage: (name: N, detail?: string) => void,
  timeline: TimelineEntry[],
): RunStep<N> {
  return async <T, P = undefined>(name: N, s: Step<P, T>): Promise<T> => {
    const start = Date.now();
    let detail: string | undefined;
    try {
      const prepared = (s.prepare ? await s.prepare() : undefined) as P;
      detail = s.detail?.(prepared);
      onStage(name, detail);
      return await s.run(prepared);
    } catch (e) {
      // Work shared between steps (the SSH link a later step needs) names the step it belongs to.
      throw e instanceof BootStepError ? e : new BootStepError(name, e as Error);
    } finally {
      timeline.push({ stage: name, detail, startMs: start - t0, ms: Date.now() - start });
    }
  };
}
