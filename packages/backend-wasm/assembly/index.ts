// Entry point of the Tensile wasm kernels. Everything works on byte addresses in one
// shared linear memory that the host allocates; kernels that run on several threads take
// (tid, nt) and split the work themselves.
import { gemmBlock, gemmPart, GEMM_SCRATCH } from './gemm';

export { unary_f32, binary_f32, where_4, fill, copy, cast } from './elementwise';
export { reduce_fold_f32, reduce_acc_f32, arg_reduce_f32, softmax_f32 } from './reduce';
export { conv2d_fwd, conv2d_bwd_input, conv2d_bwd_weight, add_parts } from './conv';
export { pool2d_f32, pool2d_bwd_f32 } from './pool';
export { random_f32 } from './random';

export function gemmScratchBytes(): i32 {
  return GEMM_SCRATCH;
}

/**
 * Batched C = A·B. `list` holds `count` triples of i32 byte addresses (a, b, c). With at
 * least as many products as threads each thread takes whole products; otherwise every
 * product is split into output tiles across the threads.
 */
export function matmul_f32(
  list: usize, count: i32, m: i32, n: i32, k: i32,
  rsA: i32, csA: i32, rsB: i32, csB: i32, rsC: i32, scratch: usize, tid: i32, nt: i32,
): void {
  const mine = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  const byItem = count >= nt;
  for (let i = byItem ? tid : 0; i < count; i += byItem ? nt : 1) {
    const e = list + <usize>i * 12;
    const a = <usize>load<u32>(e), b = <usize>load<u32>(e, 4), c = <usize>load<u32>(e, 8);
    if (byItem) gemmBlock(m, n, k, a, rsA, csA, b, rsB, csB, c, rsC, false, mine);
    else gemmPart(m, n, k, a, rsA, csA, b, rsB, csB, c, rsC, false, mine, tid, nt);
  }
}
