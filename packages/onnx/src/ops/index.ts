// The operator table: ONNX op type -> implementation. An op missing here is refused at load time.
import type { OpSpec, ItemOpSpec, StringOpSpec } from './context.js';
import { attentionOps } from './attention.js';
import { contribOps } from './contrib.js';
import { controlOps } from './control.js';
import { detectionOps } from './detection.js';
import { elementwiseOps } from './elementwise.js';
import { experimentalOps } from './experimental.js';
import { lossOps } from './losses.js';
import { networkOps } from './network.js';
import { randomOps } from './random.js';
import { quantizeOps } from './quantize.js';
import { recurrentOps } from './recurrent.js';
import { sequenceOps } from './sequence.js';
import { shapeOps } from './shape.js';
import { spectralOps } from './spectral.js';
import { stringOps } from './strings.js';

// stringOps last: its string-aware forms of shape and data-movement operators replace the numeric ones (and run them on numbers).
export const OPS: Readonly<Record<string, OpSpec | ItemOpSpec | StringOpSpec>> = { ...elementwiseOps, ...shapeOps, ...networkOps, ...recurrentOps, ...controlOps, ...sequenceOps, ...lossOps, ...randomOps, ...quantizeOps, ...detectionOps, ...spectralOps, ...experimentalOps, ...attentionOps, ...stringOps };

/**
 * The newest default-domain opset read. Each operator whose meaning (not only its element
 * types) changed after opset 18 implements every version up to this one, or refuses the
 * versions it does not in its load-time check.
 */
export const MAX_OPSET = 26;

/** Operators of onnxruntime's `com.microsoft` domain, which its graph optimiser and quantizers write. */
export const CONTRIB_OPS: Readonly<Record<string, OpSpec | ItemOpSpec | StringOpSpec>> = { ...contribOps };

/** The implementation of `opType` in `domain` ('' and 'ai.onnx' are the default domain), if there is one. */
export function opSpec(domain: string, opType: string): OpSpec | ItemOpSpec | StringOpSpec | undefined {
  const table = domain === '' || domain === 'ai.onnx' ? OPS : domain === 'com.microsoft' ? CONTRIB_OPS : undefined;
  return table && Object.hasOwn(table, opType) ? table[opType] : undefined;
}

/** The ONNX operators `loadOnnx` supports (default domain), sorted. */
export const supportedOps: readonly string[] = Object.keys(OPS).sort();

/** The `com.microsoft` operators `loadOnnx` supports, sorted. */
export const supportedContribOps: readonly string[] = Object.keys(CONTRIB_OPS).sort();

export type { OpSpec, ItemOpSpec, StringOpSpec, OpContext, Attributes } from './context.js';
