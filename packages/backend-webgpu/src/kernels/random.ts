/**
 * The counter-based RNG: Philox4x32-10 in WGSL, so one seed gives the numbers core's
 * random.ts (and every other backend) gives.
 */
import type { RandomDistribution, RandomKey, TensorView } from '@tensile/core';
import { sizeOf } from '@tensile/core';
import { gpuBufferOf, type KernelSource, type Runtime } from '../runtime.js';
import { ENTRY_1D, FLAT_INDEX, grid, headerWGSL, planWalk, UniformRecord, walkFields, walkValues, walkWGSL } from '../wgsl.js';

/**
 * Parameters of random: elements, the first counter (`key.offset` as two 32-bit halves),
 * the seed, and the walk over `out`.
 */
function randomRecord(rank: number) {
  return UniformRecord.of('random', [['count', 1], ['counterLo', 1], ['counterHi', 1], ['seed', 1], ...walkFields('walk', rank, 1)]);
}

/** Philox4x32-10, line for line as core's random.ts (16-bit limbs for the high product words). */
const PHILOX_WGSL = /* wgsl */ `
fn mulhi(a: u32, b: u32) -> u32 {
  let aHi = a >> 16u; let aLo = a & 0xffffu; let bHi = b >> 16u; let bLo = b & 0xffffu;
  let loLo = aLo * bLo; let mid1 = aHi * bLo; let mid2 = aLo * bHi;
  let carry = ((loLo >> 16u) + (mid1 & 0xffffu) + (mid2 & 0xffffu)) >> 16u;
  return aHi * bHi + (mid1 >> 16u) + (mid2 >> 16u) + carry;
}
fn philox(c0: u32, c1: u32, k0: u32, k1: u32) -> vec2<u32> {
  var x0 = c0; var x1 = c1; var x2 = 0u; var x3 = 0u;
  var key0 = k0; var key1 = k1;
  for (var rnd = 0; rnd < 10; rnd++) {
    let hi0 = mulhi(0xd2511f53u, x0); let lo0 = 0xd2511f53u * x0;
    let hi1 = mulhi(0xcd9e8d57u, x2); let lo1 = 0xcd9e8d57u * x2;
    let n0 = hi1 ^ x1 ^ key0;
    let n2 = hi0 ^ x3 ^ key1;
    x0 = n0; x1 = lo1; x2 = n2; x3 = lo0;
    key0 = key0 + 0x9e3779b9u;
    key1 = key1 + 0xbb67ae85u;
  }
  return vec2<u32>(x0, x1);
}
fn uniform_(w: u32) -> f32 { return f32(w >> 8u) * (1.0 / 16777216.0); }
// cos(2 pi u) for u in [0, 1), reduced on u exactly (u is a multiple of 2^-24), then a
// polynomial on [-pi/4, pi/4]: accurate to float32 rounding, whatever the builtin cos does.
fn cos2pi(u: f32) -> f32 {
  let q = round(u * 4.0);            // nearest quarter turn
  let r = (u - q * 0.25) * 6.28318530717958647; // in [-pi/4, pi/4]
  let z = r * r;
  let c = 1.0 + z * (-0.5 + z * (0.041666666666 + z * (-0.0013888888889 + z * 0.0000248015873)));
  let s = r * (1.0 + z * (-0.16666666667 + z * (0.0083333333333 + z * (-0.000198412698 + z * 0.0000027557319))));
  let k = u32(q) & 3u;
  if (k == 0u) { return c; }
  if (k == 1u) { return -s; }
  if (k == 2u) { return -c; }
  return s;
}
`;

/** Element i (row-major) of `out` gets Philox at counter `key.offset + i`. */
export function random(rt: Runtime, distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
  if (out.dtype !== 'float32') throw new Error(`webgpu backend: random expects float32 tensors, got ${out.dtype}`);
  const n = sizeOf(out.shape);
  if (n === 0) return;
  const normal = distribution === 'normal';
  const plan = planWalk('random', out.shape, [out]);
  const rank = plan.shape.length;
  const record = randomRecord(rank);
  const params = record.pack({
    count: n, counterLo: key.offset % 4294967296, counterHi: Math.floor(key.offset / 4294967296), seed: key.seed >>> 0, ...walkValues('walk', plan),
  });
  const kernel: KernelSource = {
    key: `random:${distribution}:r${rank}`,
    writes: [true],
    wgsl: () => `${headerWGSL(record, [{ name: 'out', type: 'f32', write: true }])}
${PHILOX_WGSL}
${ENTRY_1D} {
  let i = ${FLAT_INDEX};
  if (i >= random_count_u()) { return; }
  ${walkWGSL(record, 'walk', 'i', ['oo'])}
  let lo = random_counterLo_u() + i;
  let hi = random_counterHi_u() + select(0u, 1u, lo < i);
  let w = philox(lo, hi, random_seed_u(), 0x7e45113u);
  let u0 = uniform_(w.x);
  ${normal ? 'out[oo] = sqrt(-2.0 * log(1.0 - u0)) * cos2pi(uniform_(w.y));' : 'out[oo] = u0;'}
}`,
  };
  rt.dispatch(kernel, [gpuBufferOf(out.buffer).buffer], params, grid(n));
}
