// Helpers for scripts/bench.ts, importing the backend from source.
import { CudaBackend, cudaAvailability, setAllowTF32 } from '../src/index.js';
import * as tl from '@tensile/core';

export { cudaAvailability, setAllowTF32 };

/** The cuda backend's allocator and device memory counters. */
export function getBackendStats(): unknown {
  const backend = tl.getBackend('cuda');
  return backend instanceof CudaBackend ? backend.memoryStats() : null;
}
