/** User-defined differentiable ops (corgi's custom ops): a forward and its backward. */
import type { Tensor } from '../tensor/tensor.js';
import { recordOp } from './engine.js';
import { noGrad } from './grad-mode.js';

export interface CustomOpDefinition {
  /** Shown in errors and in `gradFn.name`. */
  name?: string;
  /** Compute the output from the inputs; runs without recording. */
  forward: (...inputs: Tensor[]) => Tensor;
  /**
   * Gradients for each input (null for none), given the output's gradient. Written with
   * tensor ops, so with `createGraph` it is itself differentiable.
   */
  backward: (grad: Tensor, context: { inputs: Tensor[]; output: Tensor }) => (Tensor | null)[];
}

/**
 * Define a differentiable op from a forward and a backward.
 *
 * @example
 * ```ts
 * const product = tl.customOp({
 *   forward: (a, b) => a.mul(b),
 *   backward: (g, { inputs: [a, b] }) => [g.mul(b), g.mul(a)],
 * });
 * const c = product(a, b);
 * ```
 */
export function customOp(definition: CustomOpDefinition): (...inputs: Tensor[]) => Tensor {
  const name = definition.name ?? 'customOp';
  return (...inputs: Tensor[]): Tensor => {
    const output = noGrad(() => definition.forward(...inputs));
    if (output === undefined || output === null || typeof output.kernelView !== 'object') {
      throw new TypeError(`${name}: forward must return a Tensor`);
    }
    const result = inputs.includes(output) ? output.internalAlias(false) : output;
    return recordOp(name, inputs, result, [...inputs, result], (g, saved) => {
      const grads = definition.backward(g, { inputs: saved.slice(0, inputs.length), output: saved[inputs.length] });
      if (!Array.isArray(grads) || grads.length !== inputs.length) {
        throw new Error(`${name}: backward must return one gradient (or null) per input: ${inputs.length} expected`);
      }
      grads.forEach((gr, i) => {
        if (gr && gr.shape.join() !== inputs[i].shape.join()) {
          throw new Error(`${name}: backward returned shape [${gr.shape}] for input ${i} of shape [${inputs[i].shape}]`);
        }
      });
      return grads;
    });
  };
}
