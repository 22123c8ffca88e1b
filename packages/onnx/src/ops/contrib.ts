// Operators of onnxruntime's com.microsoft domain: the fused forms its graph optimiser writes
// into exported transformers (and Hugging Face Optimum's optimized files), computed with
// the Tensile ops they fuse.
import type { OpSpec } from './context.js';

export const contribOps: Record<string, OpSpec> = {};
