/**
 * JavaScript fallbacks: backend-cpu's reference loops (copied, not imported: a backend never
 * imports another backend), run on typed arrays over the wasm memory. The wasm backend uses
 * them for int32/bool elementwise and reduction paths, int32 matmul, gather/scatterAdd, and
 * any view with more than 8 dims after simplification.
 */
export { binary, cast, copy, fill, unary, where } from './elementwise.js';
export { gather, scatterAdd } from './indexing.js';
export { matmul } from './matmul.js';
export { argReduce, logSoftmax, reduce, softmax } from './reduce.js';
export { random } from './random.js';
