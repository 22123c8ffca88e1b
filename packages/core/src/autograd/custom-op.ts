/** User-defined differentiable ops (corgi's custom ops, PyTorch's `autograd.Function`): a forward and its backward. */
import type { Tensor } from '../tensor/tensor.js';
import { zerosLike } from '../ops/creation.js';
import { recordMultiOp, recordOp } from './engine.js';
import { withinOp } from './trace.js';
import { owned } from '../memory.js';

/** What a custom op's backward is told besides the gradient(s). */
export interface CustomOpContext {
  /** The op's inputs, as saved for backward. */
  inputs: Tensor[];
  /** Whether each input needs a gradient (PyTorch's `ctx.needs_input_grad`); return null where it does not. */
  needsInputGrad: boolean[];
}

export interface CustomOpDefinition {
  /** Shown in errors and in `gradFn.name`. */
  name?: string;
  /** Compute the output from the inputs; runs without recording. */
  forward: (...inputs: Tensor[]) => Tensor;
  /**
   * Gradients for each input (null for none), given the output's gradient. Written with
   * tensor ops, so with `createGraph` it is itself differentiable.
   */
  backward: (grad: Tensor, context: CustomOpContext & { output: Tensor }) => (Tensor | null)[];
}

/** A custom op with several outputs (a PyTorch `autograd.Function` whose forward returns a tuple). */
export interface MultiOutputCustomOpDefinition {
  name?: string;
  /** Compute the outputs (an array of tensors) from the inputs; runs without recording. */
  forward: (...inputs: Tensor[]) => Tensor[];
  /**
   * Gradients for each input, given one gradient per output. An output that got no
   * gradient gets zeros, as PyTorch's default (`materializeGrads: false` passes null).
   * Integer and bool outputs are not differentiable.
   */
  backward: (grads: (Tensor | null)[], context: CustomOpContext & { outputs: Tensor[] }) => (Tensor | null)[];
  /** Pass zeros (default) or null for outputs without a gradient (PyTorch's `ctx.set_materialize_grads`). */
  materializeGrads?: boolean;
}

function isTensor(value: unknown): value is Tensor {
  return value !== null && typeof value === 'object' && typeof (value as Tensor).kernelView === 'object';
}

/**
 * `checkGrads`, freeing on failure the tensors backward returned (other than the ones it was
 * `handed`), so a rejected gradient leaves nothing behind; accepted ones are the result.
 * Tensors a backward keeps for itself (hooks stash gradients) are the user's, so no scope is
 * imposed on it.
 */
function checkedOrFreed(name: string, grads: unknown, inputs: Tensor[], handed: Tensor[]): (Tensor | null)[] {
  return owned((own) => {
    if (Array.isArray(grads)) for (const g of grads) if (isTensor(g) && !handed.includes(g)) own(g);
    return checkGrads(name, grads, inputs);
  });
}

function checkGrads(name: string, grads: unknown, inputs: Tensor[]): (Tensor | null)[] {
  if (!Array.isArray(grads) || grads.length !== inputs.length) {
    throw new Error(`${name}: backward must return one gradient (or null) per input: ${inputs.length} expected`);
  }
  grads.forEach((gr, i) => {
    if (gr !== null && gr !== undefined && !isTensor(gr)) throw new TypeError(`${name}: backward returned a ${typeof gr} for input ${i}; expected a Tensor or null`);
    if (gr && gr.shape.join() !== inputs[i].shape.join()) {
      throw new Error(`${name}: backward returned shape [${gr.shape}] for input ${i} of shape [${inputs[i].shape}]`);
    }
  });
  return grads.map((g) => g ?? null);
}

/**
 * Define a differentiable op from a forward and a backward. A forward that returns an array
 * defines an op with several outputs, whose backward receives one gradient per output.
 *
 * @example
 * ```ts
 * const product = tl.customOp({
 *   forward: (a, b) => a.mul(b),
 *   backward: (g, { inputs: [a, b] }) => [g.mul(b), g.mul(a)],
 * });
 * const c = product(a, b);
 *
 * // Two outputs: the sum and the difference.
 * const sumDiff = tl.customOp({
 *   forward: (a, b) => [a.add(b), a.sub(b)],
 *   backward: ([gs, gd]) => [gs!.add(gd!), gs!.sub(gd!)],
 * });
 * const [s, d] = sumDiff(a, b);
 * ```
 */
export function customOp(definition: CustomOpDefinition): (...inputs: Tensor[]) => Tensor;
export function customOp(definition: MultiOutputCustomOpDefinition): (...inputs: Tensor[]) => Tensor[];
export function customOp(definition: CustomOpDefinition | MultiOutputCustomOpDefinition): (...inputs: Tensor[]) => Tensor | Tensor[] {
  const name = definition.name ?? 'customOp';
  return (...inputs: Tensor[]): Tensor | Tensor[] => {
    inputs.forEach((x, i) => {
      if (!isTensor(x)) throw new TypeError(`${name}: input ${i} is a ${x === null ? 'null' : typeof x}; custom ops take tensors`);
    });
    const output = withinOp(() => (definition.forward as (...xs: Tensor[]) => unknown)(...inputs));
    if (Array.isArray(output)) return recordMulti(name, definition as MultiOutputCustomOpDefinition, inputs, output);
    if (!isTensor(output)) {
      throw new TypeError(`${name}: forward must return a Tensor or an array of Tensors`);
    }
    const single = definition as CustomOpDefinition;
    const result = inputs.includes(output) ? output.internalAlias(false) : output;
    return recordOp(name, inputs, result, [...inputs, result], (g, saved, needsInputGrad) => {
      const grads = single.backward(g, { inputs: saved.slice(0, inputs.length), output: saved[inputs.length], needsInputGrad });
      return checkedOrFreed(name, grads, inputs, [g, ...saved]);
    });
  };
}

function recordMulti(name: string, definition: MultiOutputCustomOpDefinition, inputs: Tensor[], outputs: unknown[]): Tensor[] {
  if (outputs.length === 0 || !outputs.every(isTensor)) {
    throw new TypeError(`${name}: forward must return a Tensor or a non-empty array of Tensors`);
  }
  const outs = outputs as Tensor[];
  // Each output needs its own handle (its own place in the graph).
  const results = outs.map((o, k) => (inputs.includes(o) || outs.indexOf(o) !== k ? o.internalAlias(false) : o));
  const materialize = definition.materializeGrads ?? true;
  const n = inputs.length;
  recordMultiOp(name, inputs, results, [...inputs, ...results], (grads, saved, needsInputGrad) => {
    const savedOutputs = saved.slice(n);
    // Zeros made here are the pass's to free, unless backward handed one on as a gradient.
    return owned((own) => {
      const given = grads.map((g, k) => (g || !materialize ? g : own(zerosLike(savedOutputs[k]))));
      const result = definition.backward(given, { inputs: saved.slice(0, n), outputs: savedOutputs, needsInputGrad });
      return checkedOrFreed(name, result, inputs, [...given, ...saved].filter((t): t is Tensor => t !== null));
    });
  });
  return results;
}
