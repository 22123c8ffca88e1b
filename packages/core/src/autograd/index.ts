/**
 * `tl.autograd`: PyTorch's `torch.autograd` namespace (`grad`, `backward`).
 * The same `grad` is also `tl.grad`.
 */
export { grad, backwardAll as backward } from './engine.js';
