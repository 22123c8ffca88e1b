/**
 * The Tensile conformance suite: one set of tests every backend runs against itself.
 *
 * @example
 * ```ts
 * // packages/backend-foo/test/conformance.test.ts
 * import '../src/index.js';
 * import { runConformance } from '@tensile/conformance';
 * runConformance({ backend: 'foo', skip: { 'fixture:conv/conv2d/groups': 'groups > 1 not yet implemented' } });
 * ```
 */
import * as tl from '@tensile/core';
import { describe, expect, it } from 'vitest';
import { autogradTests } from './autograd.js';
import { autogradToolTests } from './autograd-tools.js';
import { Suite, type ConformanceOptions } from './context.js';
import { edgeTests } from './edge-cases.js';
import { errorTests } from './errors.js';
import { finiteDifferenceTests } from './finite-difference.js';
import { fixtureTests } from './fixtures.js';
import { fuzzTests } from './fuzz.js';
import { kernelTests } from './kernels/index.js';
import { memoryTests } from './memory.js';
import { printTests } from './print.js';
import { randomTests } from './random.js';

export { settleGarbage, type ConformanceOptions } from './context.js';
export { TOLERANCES, FINITE_DIFFERENCE, gradTolerance } from './tolerances.js';
export { loadFixtures, REQUIRED_OPS, type FixtureCase } from './fixtures.js';

/**
 * Register the whole suite (inside vitest `describe` blocks) for the backend named
 * `options.backend`, which must already be registered (import the backend first).
 */
export function runConformance(options: ConformanceOptions): void {
  const suite = new Suite(options);
  describe(`conformance: ${options.backend}`, () => {
    it('the backend is registered', () => {
      expect(tl.listBackends()).toContain(options.backend);
      expect(tl.getBackend(options.backend).name).toBe(options.backend);
    });
    // Memory first: its counts must not be disturbed by handles other tests leave to the GC.
    memoryTests(suite);
    kernelTests(suite);
    fixtureTests(suite);
    finiteDifferenceTests(suite);
    edgeTests(suite);
    autogradTests(suite);
    autogradToolTests(suite);
    errorTests(suite);
    fuzzTests(suite);
    randomTests(suite);
    printTests(suite);
    it('every skip entry names an existing case', () => {
      expect(suite.staleSkips()).toEqual([]);
    });
  });
}
