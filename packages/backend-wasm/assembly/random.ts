// Philox4x32-10, line for line as @tensile/core's random.ts. The transcendental functions
// of Box-Muller are the host's Math.log / Math.cos (imported), so normals match the cpu
// backend bit for bit.
import { innerStride, nextRow, ptrOf, rowCount, rowLength, startWalk } from './walk';

@external("env", "hostLog") declare function hostLog(x: f64): f64;
@external("env", "hostCos") declare function hostCos(x: f64): f64;

// Results of the last philox() call (globals are per instance, i.e. per thread).
let w0: u32 = 0;
let w1: u32 = 0;

function philox(c0: u32, c1: u32, k0: u32, k1: u32): void {
  let x0 = c0, x1 = c1, x2: u32 = 0, x3: u32 = 0;
  let key0 = k0, key1 = k1;
  for (let round = 0; round < 10; round++) {
    const p0 = <u64>0xd2511f53 * <u64>x0;
    const p1 = <u64>0xcd9e8d57 * <u64>x2;
    const n0 = <u32>(p1 >> 32) ^ x1 ^ key0;
    const n2 = <u32>(p0 >> 32) ^ x3 ^ key1;
    x0 = n0;
    x1 = <u32>p1;
    x2 = n2;
    x3 = <u32>p0;
    key0 += 0x9e3779b9;
    key1 += 0xbb67ae85;
  }
  w0 = x0;
  w1 = x1;
}

/** Fill float32 view `d` (one view) from counter `offset` onward; normal = 1 for Box-Muller. */
export function random_f32(normal: i32, seed: u32, offset: f64, d: usize, o: usize): void {
  const n = rowLength(d), rows = rowCount(d);
  const so = <usize>innerStride(d, 0);
  startWalk(d, o, 0, 0, 0);
  let counter = <u64>offset;
  for (let r = 0; r < rows; r++) {
    let po = ptrOf(d, 0);
    for (let i = 0; i < n; i++, po += so, counter++) {
      philox(<u32>counter, <u32>(counter >> 32), seed, 0x7e45113);
      const u0 = <f64>(w0 >>> 8) * (1.0 / 16777216.0);
      if (normal == 0) {
        store<f32>(po, <f32>u0);
      } else {
        const u1 = <f64>(w1 >>> 8) * (1.0 / 16777216.0);
        store<f32>(po, <f32>(Math.sqrt(-2 * hostLog(1 - u0)) * hostCos(2 * Math.PI * u1)));
      }
    }
    nextRow(d, 1);
  }
}
