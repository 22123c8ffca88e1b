/** Counter-based random draws (assembly/random.ts: Philox4x32-10, as core's). */
import { planElementwise, sizeOf, type RandomDistribution, type RandomKey, type TensorView } from '@tensile/core';
import { addressOf } from '../buffer.js';
import type { Device } from '../device.js';

/** Fill float32 `out` (core draws nothing else) from `key` on, in row-major order. */
export function random(device: Device, distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
  if (sizeOf(out.shape) === 0) return;
  const d = device.walk(0, planElementwise(out.shape, [out]), [4]);
  device.k.random_f32(distribution === 'normal' ? 1 : 0, key.seed >>> 0, key.offset, d, addressOf(out));
}
