// The operator table: ONNX op type -> implementation. An op missing here is refused at load time.
import type { OpSpec, ItemOpSpec } from './context.js';
import { controlOps } from './control.js';
import { detectionOps } from './detection.js';
import { elementwiseOps } from './elementwise.js';
import { lossOps } from './losses.js';
import { networkOps } from './network.js';
import { randomOps } from './random.js';
import { quantizeOps } from './quantize.js';
import { recurrentOps } from './recurrent.js';
import { sequenceOps } from './sequence.js';
import { shapeOps } from './shape.js';
import { spectralOps } from './spectral.js';

export const OPS: Readonly<Record<string, OpSpec | ItemOpSpec>> = { ...elementwiseOps, ...shapeOps, ...networkOps, ...recurrentOps, ...controlOps, ...sequenceOps, ...lossOps, ...randomOps, ...quantizeOps, ...detectionOps, ...spectralOps };

/** The ONNX operators `loadOnnx` supports (default domain), sorted. */
export const supportedOps: readonly string[] = Object.keys(OPS).sort();

export type { OpSpec, ItemOpSpec, OpContext, Attributes } from './context.js';
