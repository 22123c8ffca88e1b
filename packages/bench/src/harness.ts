/**
 * Timing harness: warm-up, then timed repetitions until a per-case time budget is spent.
 *
 * Every timed repetition is one call of `run()`, which must include reading the result back
 * to the host (`await t.data()` / `dataSync()`), so that backends that queue work and return
 * at once (GPU) are timed for the work itself, not for queueing it.
 */

/** What one side (Tensile or the peer) of a case is asked to run. */
export interface Runner {
  /** One repetition: compute, read the result back, free everything it made. */
  run(): Promise<ArrayLike<number>>;
  /** Free the inputs and parameters made by set-up. */
  dispose(): void;
}

export interface HarnessOptions {
  /** Keep taking timed repetitions until this much time was spent on them (ms). */
  budgetMs: number;
  /** At least this many timed repetitions (unless one run alone exceeds the budget). */
  minReps: number;
  /** At most this many timed repetitions. */
  maxReps: number;
  /** At most this many warm-up runs (the first run is always one). */
  maxWarmup: number;
  /** Stop warming up once this much time was spent warming up (ms). */
  warmupMs: number;
}

export const FULL: HarnessOptions = { budgetMs: 4000, minReps: 3, maxReps: 200, maxWarmup: 5, warmupMs: 1000 };
export const QUICK: HarnessOptions = { budgetMs: 400, minReps: 2, maxReps: 30, maxWarmup: 2, warmupMs: 150 };

export interface Measurement {
  /** Timed repetitions, ms each, in the order taken. */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Warm-up runs, not counted in the samples (0 when the first run was counted). */
  warmup: number;
  /** The first run (cold: JIT compilation, first allocation, kernel compilation). */
  firstMs: number;
  /** Live tensor handles gained per timed repetition (should be 0: memory is flat). */
  leakPerRep: number;
  /** Notes for the reader ("single run: the first run exceeded the budget"). */
  notes: string[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const now = (): number => performance.now();

/**
 * Measure `runner.run()`. The first run is a warm-up whose output is returned (for the
 * agreement check between Tensile and its peer); when it alone exceeds the budget it is
 * the only sample (the run is too slow to repeat), and the notes say so.
 *
 * `liveTensors` reports the library's live tensor count, to check that memory is flat.
 */
export async function measure(
  runner: Runner,
  options: HarnessOptions,
  liveTensors: () => number,
): Promise<{ measurement: Measurement; firstOutput: ArrayLike<number> }> {
  const notes: string[] = [];
  let start = now();
  const firstOutput = await runner.run();
  const firstMs = now() - start;

  if (firstMs >= options.budgetMs) {
    notes.push(`single run: ${formatSeconds(firstMs)} exceeds the ${formatSeconds(options.budgetMs)} budget, so the first (cold) run is the only sample`);
    return {
      measurement: { samplesMs: [firstMs], medianMs: firstMs, minMs: firstMs, maxMs: firstMs, warmup: 0, firstMs, leakPerRep: 0, notes },
      firstOutput,
    };
  }

  let warmup = 1;
  let warmupSpent = firstMs;
  while (warmup < options.maxWarmup && warmupSpent < options.warmupMs) {
    start = now();
    await runner.run();
    warmupSpent += now() - start;
    warmup++;
  }

  const liveBefore = liveTensors();
  const samplesMs: number[] = [];
  let spent = 0;
  while (samplesMs.length < options.maxReps && (samplesMs.length < options.minReps || spent < options.budgetMs)) {
    start = now();
    await runner.run();
    const t = now() - start;
    samplesMs.push(t);
    spent += t;
  }
  const leakPerRep = (liveTensors() - liveBefore) / samplesMs.length;
  if (leakPerRep !== 0) notes.push(`memory not flat: ${leakPerRep} live tensors gained per repetition`);
  return {
    measurement: {
      samplesMs,
      medianMs: median(samplesMs),
      minMs: Math.min(...samplesMs),
      maxMs: Math.max(...samplesMs),
      warmup,
      firstMs,
      leakPerRep,
      notes,
    },
    firstOutput,
  };
}

export function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}
