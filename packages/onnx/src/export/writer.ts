// What an op's writer sees of the trace, and the small helpers writers share.
import type { DType, autograd } from '@tensile/core';
import { type Dim, type ElementType, type GraphBuilder, ONNX_TYPES } from './graph.js';

/** What an op's writer sees of the trace. */
export interface EmitContext {
  readonly graph: GraphBuilder;
  readonly opset: number;
  /** The value names of the op's inputs ('' for an absent optional input). */
  readonly inputs: readonly string[];
  /** The names its outputs must get. */
  readonly outputs: readonly string[];
  /** Input `i`'s shape and dtype as traced. */
  shape(i: number): readonly number[];
  dtype(i: number): DType;
  /** Output 0's dims, dynamic ones as products of the axes. */
  readonly outDims: readonly Dim[];
  readonly outDtype: DType;
  /** Input `i`'s dims, dynamic ones as products of the axes. */
  dims(i: number): readonly Dim[];
  /** `exportOnnx: op #n 'name'`, for messages. */
  readonly where: string;
}

export type Writer = (c: EmitContext, op: autograd.TracedOp) => void;

export const one = (opType: string): Writer => (c) => void c.graph.node(opType, c.inputs, c.outputs);

export const ints = (v: unknown): number[] => (v as readonly number[]).map(Number);

/** The ONNX element type of a traced dtype that `exportOnnx` accepts. */
export const element = (dtype: string): ElementType => dtype as ElementType;

/** Casts of the inputs to the output's dtype, where a traced op promoted them. */
export function promoted(c: EmitContext): string[] {
  return c.inputs.map((name, i) => (c.dtype(i) === c.outDtype ? name : c.graph.node('Cast', [name], 1, { to: ONNX_TYPES[c.outDtype] })[0]));
}
