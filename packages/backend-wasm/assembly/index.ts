// Entry point of the Tensile wasm kernels. Everything works on byte addresses in one
// shared linear memory that the host allocates; kernels that run on several threads take
// (tid, nt) and split the work themselves.
import { claim, gemmBlock, gemmShared, GEMM_SCRATCH } from './matmul';

export { unary_f32, unary_line_f32, binary_f32, binary_line_f32, where, fill, copy, cast } from './elementwise';
export { reduce_fold, reduce_acc, reduce_line_f32, reduce_line_end, arg_reduce, softmax_f32, softmax_rows_f32 } from './reduce';
export { conv2d_fwd, conv2d_bwd_input, conv2d_bwd_weight, add_parts } from './conv';
export { pool2d_f32, pool2d_bwd_f32 } from './pool';
export { random_f32 } from './random';
export { unary_int, binary_int, matmul_i32 } from './integer';
export { gather, scatter_add } from './indexing';

export function gemmScratchBytes(): i32 {
  return GEMM_SCRATCH;
}

/**
 * Batched C = A·B. `list` holds `count` triples of i32 byte addresses (a, b, c). With at
 * least as many products as threads each thread claims whole products; otherwise every
 * product is shared out in blocks (gemmShared). `counter` is an i32 the host zeroed.
 */
export function matmul_f32(
  list: usize, count: i32, m: i32, n: i32, k: i32,
  rsA: i32, csA: i32, rsB: i32, csB: i32, rsC: i32, scratch: usize, counter: usize, tid: i32, nt: i32,
): void {
  const mine = scratch + <usize>tid * <usize>GEMM_SCRATCH;
  if (nt <= 1 || count >= nt) {
    for (let i = 0; i < count; i++) {
      if (nt > 1) {
        i = claim(counter);
        if (i >= count) return;
      }
      const e = list + <usize>i * 12;
      gemmBlock(m, n, k, <usize>load<u32>(e), rsA, csA, <usize>load<u32>(e, 4), rsB, csB, <usize>load<u32>(e, 8), rsC, false, mine);
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const e = list + <usize>i * 12;
    // One counter per product: the host zeroed `count` of them.
    gemmShared(m, n, k, <usize>load<u32>(e), rsA, csA, <usize>load<u32>(e, 4), rsB, csB, <usize>load<u32>(e, 8), rsC, false, mine,
      counter + 4 + (<usize>i << 2));
  }
}
