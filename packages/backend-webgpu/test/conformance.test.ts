// The shared conformance suite (packages/conformance), run on the webgpu backend: Dawn (the
// `webgpu` package) in Node, on whatever adapter it finds (llvmpipe on machines without a GPU).
import * as tl from '@tensile/core';
import { runConformance } from '@tensile/conformance';
import { describe, it } from 'vitest';
import '../src/index.js';
import { SKIPS } from './skips.js';

let unavailable: string | null = null;
try {
  await tl.ready('webgpu');
} catch (error) {
  if (process.env.TENSILE_REQUIRE_TOOLS) throw error;
  unavailable = error instanceof Error ? error.message : String(error);
}

if (unavailable) {
  describe('conformance: webgpu', () => {
    it.skip(`skipped: no WebGPU adapter (${unavailable})`, () => {});
  });
} else {
  runConformance({ backend: 'webgpu', skip: SKIPS });
}
