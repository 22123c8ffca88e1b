// The shared conformance suite on the cuda backend, where a CUDA device is present; CI has
// none, so there it registers one skipped test that says why. Matmul and convolutions run
// in strict float32 here (setAllowTF32(false)): TF32's ~1e-3 relative error is outside the
// suite's float32 tolerances, as it would be for PyTorch with allow_tf32.
import * as tl from '@tensile/core';
import { runConformance } from '@tensile/conformance';
import { describe, it } from 'vitest';
import { cudaAvailability, setAllowTF32 } from '../src/index.js';
// The cpu backend beside it: the fuzz cases compare the two.
import '@tensile/backend-cpu';

const status = cudaAvailability();

if (status.available) {
  await tl.ready('cuda');
  setAllowTF32(false);
  runConformance({ backend: 'cuda' });
} else {
  console.info(`conformance: cuda skipped: ${status.reason}`);
  describe('conformance: cuda', () => {
    it.skip(`no CUDA device: ${status.reason.replace(/^no CUDA device: /, '')}`, () => {});
  });
}
