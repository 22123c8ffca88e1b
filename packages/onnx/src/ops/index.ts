// The operator table: ONNX op type -> implementation. An op missing here is refused at load time.
import type { OpSpec } from './context.js';
import { controlOps } from './control.js';
import { elementwiseOps } from './elementwise.js';
import { networkOps } from './network.js';
import { recurrentOps } from './recurrent.js';
import { shapeOps } from './shape.js';

export const OPS: Readonly<Record<string, OpSpec>> = { ...elementwiseOps, ...shapeOps, ...networkOps, ...recurrentOps, ...controlOps };

/** The ONNX operators `loadOnnx` supports (default domain), sorted. */
export const supportedOps: readonly string[] = Object.keys(OPS).sort();

export type { OpSpec, OpContext, Attributes } from './context.js';
