/**
 * `tl.autograd`: PyTorch's `torch.autograd` namespace (`grad`, `backward`, `functional`,
 * `gradcheck`, anomaly detection). The same `grad` is also `tl.grad`.
 */
export { grad, backwardAll as backward } from './engine.js';
export * as functional from './functional.js';
export { gradcheck, type GradcheckOptions } from './gradcheck.js';
export { detectAnomaly, isAnomalyEnabled, setDetectAnomaly } from './anomaly.js';
export { isTracing, trace, Trace, type TracedOp } from './trace.js';
