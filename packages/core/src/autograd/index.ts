/**
 * `tl.autograd`: PyTorch's `torch.autograd` namespace (`grad`, `backward`, `functional`).
 * The same `grad` is also `tl.grad`.
 */
export { grad, backwardAll as backward } from './engine.js';
export * as functional from './functional.js';
