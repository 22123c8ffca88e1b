/**
 * What every part of the suite shares: the backend under test, its skip list, and a
 * `test()` that honours the skip list and records every case name (so a stale skip entry,
 * naming no case, fails the run).
 */
import * as tl from '@tensile/core';
import { it } from 'vitest';

export interface ConformanceOptions {
  /** Name of the registered backend under test, e.g. `'cpu'`. */
  backend: string;
  /**
   * Cases this backend does not pass yet: full case name (`group/case`, as printed by
   * vitest) to the reason. Every entry needs a reason, and must name an existing case.
   */
  skip?: Record<string, string>;
}

export class Suite {
  readonly device: string;
  private readonly skip: Record<string, string>;
  readonly names = new Set<string>();

  constructor(options: ConformanceOptions) {
    this.device = options.backend;
    this.skip = options.skip ?? {};
    for (const [name, reason] of Object.entries(this.skip)) {
      if (typeof reason !== 'string' || reason.trim().length === 0) {
        throw new Error(`runConformance: skip entry '${name}' needs a reason`);
      }
    }
  }

  /** Register one case, `group/name`, unless the skip list names it. */
  test(group: string, name: string, fn: () => void | Promise<void>, timeout?: number): void {
    const full = `${group}/${name}`;
    if (this.names.has(full)) throw new Error(`conformance: duplicate case name '${full}'`);
    this.names.add(full);
    const reason = this.skip[full];
    if (reason !== undefined) it.skip(`${full} (skipped: ${reason})`, fn, timeout);
    else it(full, fn, timeout);
  }

  /** Skip entries naming no case. */
  staleSkips(): string[] {
    return Object.keys(this.skip).filter((name) => !this.names.has(name));
  }
}

let collect: (() => void) | null | undefined;

/**
 * Collect garbage and let pending finalizers run, so handles that earlier tests left to the
 * FinalizationRegistry are gone before a test takes its tensor count. Otherwise they can be
 * finalized during an awaited read (a GPU backend's reads really wait) and shift the count.
 */
export async function settleGarbage(): Promise<void> {
  if (collect === undefined) {
    try {
      const v8 = await import('node:v8');
      const vm = await import('node:vm');
      v8.setFlagsFromString('--expose-gc');
      collect = vm.runInNewContext('gc') as () => void;
    } catch {
      collect = null; // not Node: nothing to settle
    }
  }
  if (!collect) return;
  // V8 posts finalizer callbacks as a separate task after a collection: repeat until the
  // live-tensor count holds still.
  let previous = -1;
  for (let round = 0; round < 10; round++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = tl.memory().numTensors;
    if (now === previous) return;
    previous = now;
  }
}
