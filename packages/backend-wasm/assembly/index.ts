// Entry point of the Tensile wasm kernels, one file per kernel family (as src/kernels/).
// Everything works on byte addresses in one shared linear memory that the host allocates;
// kernels that run on several threads take (tid, nt) and split the work themselves.
export {
  unary_f32, unary_line_f32, binary_f32, binary_line_f32, unary_int, binary_int, where, fill, copy, cast,
} from './elementwise';
export { reduce_fold, reduce_acc, reduce_line_f32, reduce_line_end, arg_reduce, softmax_f32, softmax_rows_f32, scan_lines, scan_line_f32 } from './reduce';
export { gemmScratchBytes, matmul_f32, matmul_small_f32 } from './matmul';
export { conv2d_fwd, conv2d_bwd_input, conv2d_bwd_weight, add_parts } from './conv';
export { pool2d_f32, pool2d_bwd_f32 } from './pool';
export { gather, scatter_add } from './indexing';
export { random_f32 } from './random';
export { sort_rows, sort_scratch_bytes } from './sort';
export { attention_f32, attention_scratch_bytes } from './attention';
