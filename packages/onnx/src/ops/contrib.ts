// Operators of onnxruntime's com.microsoft domain: the fused forms its graph optimiser writes
// into exported transformers (and Hugging Face Optimum's optimized files), and those of its
// quantizers (the _quantized and q4 files), computed with the Tensile ops they fuse.
import { contribAttentionOps } from './contrib-attention.js';
import { contribFusedOps } from './contrib-fused.js';
import { contribMathOps } from './contrib-math.js';
import { contribPoolingOps } from './contrib-pooling.js';
import { contribQuantizedOps } from './contrib-quantized.js';
import { contribSequenceOps } from './contrib-sequence.js';
import { contribStandardOps } from './contrib-standard.js';
import type { OpSpec, StringOpSpec } from './context.js';

export const contribOps: Record<string, OpSpec | StringOpSpec> = { ...contribMathOps, ...contribFusedOps, ...contribAttentionOps, ...contribQuantizedOps, ...contribStandardOps, ...contribPoolingOps, ...contribSequenceOps };
