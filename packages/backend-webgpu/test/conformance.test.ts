// The shared conformance suite (packages/conformance), run on the webgpu backend: Dawn (the
// `webgpu` package) in Node, on whatever adapter it finds (llvmpipe on machines without a GPU).
import { runConformance } from '@tensile/conformance';
import { describe, it } from 'vitest';
import '../src/index.js';
// The cpu backend beside it: the fuzz cases compare the two.
import '@tensile/backend-cpu';
import { webgpuUnavailable } from './ready.js';

const unavailable = await webgpuUnavailable();

if (unavailable) {
  describe('conformance: webgpu', () => {
    it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});
  });
} else {
  runConformance({ backend: 'webgpu' });
}
