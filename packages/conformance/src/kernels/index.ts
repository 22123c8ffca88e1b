/**
 * The raw kernel suite: every kernel of the contract called directly on views of the
 * backend under test, against the op table's reference functions and plain loops. It runs
 * inside `runConformance`, so every backend (cuda where a GPU is present) runs it.
 */
import * as tl from '@tensile/core';
import { describe, it } from 'vitest';
import type { Suite } from '../context.js';
import { attentionKernelTests } from './attention.js';
import { elementwiseKernelTests } from './elementwise.js';
import { indexingKernelTests } from './indexing.js';
import { networkKernelTests } from './networks.js';
import { reduceKernelTests } from './reduce.js';
import { sortKernelTests } from './sort.js';
import { scanKernelTests } from './scan.js';

export function kernelTests(suite: Suite): void {
  let backend: tl.Backend;
  try {
    backend = tl.getBackend(suite.device);
  } catch (error) {
    // Cases are chosen from the backend's accelerated ops and dtypes, so it must be ready.
    describe('kernels', () => {
      it('the backend is ready when the suite is registered', () => {
        throw error;
      });
    });
    return;
  }
  elementwiseKernelTests(suite, backend);
  reduceKernelTests(suite, backend);
  networkKernelTests(suite, backend);
  indexingKernelTests(suite, backend);
  sortKernelTests(suite, backend);
  scanKernelTests(suite, backend);
  attentionKernelTests(suite, backend);
}
