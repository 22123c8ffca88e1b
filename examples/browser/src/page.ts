/** What both pages share: reading query numbers and starting the best backend. */
import * as tl from '@tensile/core';

/** A positive integer from a query parameter, or `fallback`. */
export function positiveInt(value: string | null, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Start `forced`, or the first of webgpu, wasm, cpu that works, and say in the console why
 * any before it did not.
 */
export async function chooseBackend(forced: string | null): Promise<string> {
  const order = forced ? [forced] : ['webgpu', 'wasm', 'cpu'];
  const reasons: string[] = [];
  for (const name of order) {
    try {
      await tl.setBackend(name);
      // A first small op shows the backend really works (shaders compile, wasm loads).
      const probe = tl.tidy(() => tl.ones([2, 2]).matmul(tl.ones([2, 2])).sum());
      try {
        await probe.item();
      } finally {
        probe.dispose();
      }
      if (reasons.length) console.warn(`tensile example: ${reasons.join('; ')}`);
      return name;
    } catch (error) {
      reasons.push(`${name} unavailable: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no backend could start:\n${reasons.join('\n')}`);
}
