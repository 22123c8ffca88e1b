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
  /**
   * When the first run exceeds the budget, one warm run is timed instead, unless the first
   * run took longer than this (ms); then the cold first run is the only sample.
   */
  repeatLimitMs: number;
}

export const FULL: HarnessOptions = { budgetMs: 6000, minReps: 5, maxReps: 200, maxWarmup: 5, warmupMs: 1000, repeatLimitMs: 15_000 };
export const QUICK: HarnessOptions = { budgetMs: 400, minReps: 2, maxReps: 30, maxWarmup: 2, warmupMs: 150, repeatLimitMs: 2_500 };

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

/** One side of a case handed to {@link measureSides}. */
export interface SideInput {
  runner: Runner;
  /** The library's live tensor count, to check that memory stays flat. */
  liveTensors: () => number;
}

export type SideResult =
  | { ok: true; measurement: Measurement; firstOutput: ArrayLike<number> }
  | { ok: false; error: string };

interface SideState {
  input: SideInput;
  mode: 'normal' | 'single-warm' | 'single-cold' | 'done';
  samples: number[];
  spent: number;
  warmup: number;
  warmupSpent: number;
  firstMs: number;
  firstOutput?: ArrayLike<number>;
  liveBefore: number;
  notes: string[];
  error?: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** `gc` when node runs with --expose-gc (the bench script passes it). */
const collectGarbage = (globalThis as { gc?: () => void }).gc;
const SETTLE_AFTER_GC_MS = 3;

async function timeRun(side: SideState): Promise<number | undefined> {
  try {
    // Collect before, not during, a timed run: otherwise one side pays for the garbage the
    // other side's interleaved run left behind.
    if (collectGarbage) {
      collectGarbage();
      // V8 finishes the collection (sweeping) on a background thread, which would take the
      // second core from a two-thread run; let it end before the clock starts.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_AFTER_GC_MS));
    }
    const start = now();
    await side.input.runner.run();
    return now() - start;
  } catch (error) {
    side.error = errorText(error);
    return undefined;
  }
}

/**
 * Measure the sides of one case (Tensile and its peer) together, interleaving their timed
 * repetitions (A, B, A, B, …) so that both see the same machine: on a shared machine a
 * background burst slows both sides, not only one, and the ratio stays meaningful.
 *
 * Each side's first (cold) run is kept as its output for the agreement check. A side whose
 * cold run exceeds the budget gets one warm timed run (or, past `repeatLimitMs`, the cold
 * run is its only sample). The others warm up, then take one timed run per round until
 * every side has `minReps` and one side has spent the budget (or hit `maxReps`), so both
 * sides end with about the same number of samples.
 */
export async function measureSides(inputs: SideInput[], options: HarnessOptions): Promise<SideResult[]> {
  const sides: SideState[] = inputs.map((input) => ({
    input, mode: 'normal', samples: [], spent: 0, warmup: 0, warmupSpent: 0, firstMs: 0, liveBefore: 0, notes: [],
  }));

  for (const side of sides) {
    try {
      const start = now();
      side.firstOutput = await side.input.runner.run();
      side.firstMs = now() - start;
    } catch (error) {
      side.error = errorText(error);
      continue;
    }
    side.warmup = 1;
    side.warmupSpent = side.firstMs;
    if (side.firstMs > options.repeatLimitMs) {
      side.mode = 'single-cold';
      side.samples.push(side.firstMs);
      side.warmup = 0;
      side.notes.push(`one sample: the cold run (${formatSeconds(side.firstMs)}) exceeded ${formatSeconds(options.repeatLimitMs)}, so it is the only sample`);
    } else if (side.firstMs >= options.budgetMs) {
      side.mode = 'single-warm';
      side.notes.push(`one sample: the cold run (${formatSeconds(side.firstMs)}) exceeded the ${formatSeconds(options.budgetMs)} budget, so one warm run was timed`);
    }
  }

  const alive = (s: SideState) => s.error === undefined;
  // Warm-up, round-robin, for the sides that will be repeated.
  for (;;) {
    const warming = sides.filter((s) => alive(s) && s.mode === 'normal' && s.warmup < options.maxWarmup && s.warmupSpent < options.warmupMs);
    if (warming.length === 0) break;
    for (const side of warming) {
      const t = await timeRun(side);
      if (t === undefined) continue;
      side.warmup++;
      side.warmupSpent += t;
    }
  }

  for (const side of sides) if (alive(side)) side.liveBefore = side.input.liveTensors();
  // Timed rounds.
  for (;;) {
    const active = sides.filter((s) => alive(s) && (s.mode === 'normal' || (s.mode === 'single-warm' && s.samples.length === 0)));
    if (active.length === 0) break;
    for (const side of active) {
      const t = await timeRun(side);
      if (t === undefined) continue;
      side.samples.push(t);
      side.spent += t;
    }
    const repeating = sides.filter((s) => alive(s) && s.mode === 'normal');
    if (repeating.length === 0) continue; // single-warm sides finish in the loop's next pass
    const enough = repeating.every((s) => s.samples.length >= options.minReps);
    const spent = repeating.some((s) => s.spent >= options.budgetMs);
    const capped = repeating.some((s) => s.samples.length >= options.maxReps);
    if ((enough && spent) || capped) {
      for (const s of repeating) s.mode = 'done';
    }
  }

  return sides.map((side): SideResult => {
    if (side.error !== undefined) return { ok: false, error: side.error };
    const timed = side.mode === 'single-cold' ? 0 : side.samples.length;
    const leakPerRep = timed > 0 ? (side.input.liveTensors() - side.liveBefore) / timed : 0;
    if (leakPerRep !== 0) side.notes.push(`memory not flat: ${leakPerRep} live tensors gained per repetition`);
    const samplesMs = side.samples;
    return {
      ok: true,
      firstOutput: side.firstOutput!,
      measurement: {
        samplesMs,
        medianMs: median(samplesMs),
        minMs: Math.min(...samplesMs),
        maxMs: Math.max(...samplesMs),
        warmup: side.warmup,
        firstMs: side.firstMs,
        leakPerRep,
        notes: side.notes,
      },
    };
  });
}

export function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}
