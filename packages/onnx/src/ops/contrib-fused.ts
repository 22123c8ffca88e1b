// com.microsoft's Conv and Gemm with an activation fused in, as onnxruntime's graph optimiser
// writes them into the files it saves (`optimized_model_filepath`, Optimum's O2-O4 exports):
// the unfused op, then the activation, computed with the same Tensile ops as the plain nodes.
import type { Tensor } from '@tensile/core';
import { type Attributes, type OpContext, type OpSpec, attrString, one, tensorOf, tl } from './context.js';
import { elementwiseOps } from './elementwise.js';
import { conv, networkOps, spatialCheck } from './network.js';

const CONV_ATTRIBUTES = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

/** FusedConv's activations (onnxruntime's MLAS ones) and how many `activation_params` each reads. */
const CONV_ACTIVATIONS: Record<string, number> = { Relu: 0, Tanh: 0, Sigmoid: 0, LeakyRelu: 1, Clip: 2, HardSigmoid: 2 };

function convActivation(ctx: OpContext, y: Tensor, attrs: Attributes): Tensor {
  const name = attrString(attrs, 'activation', '');
  const params = (attrs.activation_params as number[] | undefined) ?? [];
  switch (name) {
    case 'Relu': return tl.relu(y);
    case 'Tanh': return tl.tanh(y);
    case 'Sigmoid': return tl.sigmoid(y);
    case 'LeakyRelu': return tl.leakyRelu(y, params[0]!);
    case 'Clip': return tl.clamp(y, params[0]!, params[1]!);
    case 'HardSigmoid': return tl.clamp(y.mul(params[0]!).add(params[1]!), 0, 1);
    default: throw new Error(`${ctx.node}: internal: activation '${name}' passed the load-time check`);
  }
}

/**
 * FusedGemm's activations: the ONNX operators of those names, with the attributes each needs
 * given with an `activation_` prefix (`activation_alpha` is LeakyRelu's alpha). onnxruntime
 * requires every one of them (the operators' defaults do not apply), and so does this.
 */
const GEMM_ACTIVATIONS: Record<string, readonly string[]> = {
  Elu: ['alpha'], HardSigmoid: ['alpha', 'beta'], LeakyRelu: ['alpha'], Relu: [], Selu: ['alpha', 'gamma'],
  Sigmoid: [], Softplus: [], Softsign: [], Tanh: [], ThresholdedRelu: ['alpha'],
};
const GEMM_PARAMETERS = ['activation_alpha', 'activation_beta', 'activation_gamma'];

function gemmActivation(ctx: OpContext, y: Tensor, attrs: Attributes): Tensor {
  const name = attrString(attrs, 'activation', '');
  const own: Attributes = Object.fromEntries(GEMM_ACTIVATIONS[name]!.map((p) => [p, attrs[`activation_${p}`]!]));
  return elementwiseOps[name]!.run(ctx, [y], own)[0] as Tensor;
}

function checkGemmActivation(attrs: Attributes): string[] {
  const problems = checkActivation(attrs, Object.keys(GEMM_ACTIVATIONS));
  const needs = GEMM_ACTIVATIONS[attrs.activation as string];
  if (problems.length || !needs) return problems;
  for (const key of GEMM_PARAMETERS) {
    const p = key.slice('activation_'.length);
    if (attrs[key] === undefined && needs.includes(p)) problems.push(`activation ${attrs.activation} needs attribute ${key}`);
    if (attrs[key] !== undefined && !needs.includes(p)) problems.push(`activation ${attrs.activation} takes no attribute ${key}`);
  }
  return problems;
}

function checkActivation(attrs: Attributes, supported: readonly string[]): string[] {
  const name = attrs.activation;
  if (typeof name !== 'string') return ['attribute activation is missing'];
  return supported.includes(name) ? [] : [`activation '${name}' is not supported (supported: ${supported.join(', ')})`];
}

export const contribFusedOps: Record<string, OpSpec> = {
  /** activation(Conv(X, W, B) + Z). */
  FusedConv: {
    attributes: [...CONV_ATTRIBUTES, 'activation', 'activation_params'],
    check(attrs) {
      const problems = [...spatialCheck(attrs), ...checkActivation(attrs, Object.keys(CONV_ACTIVATIONS))];
      const name = attrs.activation as string;
      const want = CONV_ACTIVATIONS[name];
      const got = ((attrs.activation_params as number[] | undefined) ?? []).length;
      if (want !== undefined && got !== want) problems.push(`activation ${name} needs ${want} activation_params, got ${got}`);
      return problems;
    },
    run(ctx, [x, w, b, z], attrs) {
      let y = conv(ctx, [x, w, b], attrs)[0] as Tensor;
      if (z !== undefined) y = y.add(tensorOf(ctx, z, 'Z', y.device));
      return one(convActivation(ctx, y, attrs));
    },
  },
  /** activation(Gemm(A, B, C)). */
  FusedGemm: {
    attributes: [...networkOps.Gemm!.attributes, 'activation', ...GEMM_PARAMETERS],
    check: checkGemmActivation,
    run(ctx, inputs, attrs) {
      const y = networkOps.Gemm!.run(ctx, inputs, attrs)[0] as Tensor;
      return one(gemmActivation(ctx, y, attrs));
    },
  },
};
