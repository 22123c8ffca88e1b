/**
 * A backend class whose kernels live in family modules: the class holds memory, and each
 * kernel method of the contract forwards to one entry of the backend's kernel table. The
 * forwarding is written once here; a backend lists its kernel functions in a table
 * (`bindKernels` gives them its execution context) instead of writing a method per kernel.
 */
import type { UnaryOp, BinaryOp } from './op-table.js';
import type { Backend, TensorView } from './contract.js';

/** The contract methods a {@link KernelTableBackend} takes from its kernel table. */
const FORWARDED_KERNELS = [
  'fill', 'copy', 'cast', 'unary', 'binary', 'where',
  'reduce', 'argReduce', 'softmax', 'logSoftmax',
  'matmul', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight', 'pool2d', 'pool2dBackward',
  'gather', 'scatterAdd', 'sort', 'random',
] as const;

/**
 * A backend's kernels, one per forwarded contract method, with the contract's arguments.
 * `U` and `B` are the unary and binary ops the backend has kernels for (its primitives and
 * the composites it accelerates).
 */
export type KernelTable<U extends UnaryOp = UnaryOp, B extends BinaryOp = BinaryOp> = Pick<Required<Backend>, Exclude<(typeof FORWARDED_KERNELS)[number], 'unary' | 'binary'>> & {
  unary(op: U, x: TensorView, out: TensorView): void;
  binary(op: B, a: TensorView, b: TensorView, out: TensorView): void;
};

/**
 * `F` with the backend's execution context (a launcher, a device, a runtime) before its
 * arguments. Written as a method so that, as for the contract's own methods, a kernel typed
 * for a narrower op union still fits.
 */
type WithContext<Context, F> = F extends (...args: infer A) => void ? { kernel(context: Context, ...args: A): void }['kernel'] : never;

/** A kernel table whose functions take the execution context first, as kernel family modules do. */
export type ContextKernelTable<Context, U extends UnaryOp = UnaryOp, B extends BinaryOp = BinaryOp> = {
  [K in keyof KernelTable<U, B>]: WithContext<Context, KernelTable<U, B>[K]>;
};

/**
 * The kernel table that calls each of `kernels` with `context` first.
 *
 * @example
 * ```ts
 * this.kernels = bindKernels(this.device, { fill, copy, cast, unary, ... });
 * ```
 */
export function bindKernels<Context, U extends UnaryOp, B extends BinaryOp>(
  context: Context,
  kernels: ContextKernelTable<Context, U, B>,
): KernelTable<U, B> {
  const bound: Record<string, (...args: never[]) => void> = {};
  for (const [name, kernel] of Object.entries(kernels) as [string, (context: Context, ...args: never[]) => void][]) {
    bound[name] = (...args) => kernel(context, ...args);
  }
  return bound as unknown as KernelTable<U, B>;
}

/**
 * The kernel methods of a {@link Backend}, each forwarding to the subclass's {@link KernelTable}
 * (`kernels`, set in its constructor). The subclass adds memory, reads and its optional
 * kernels (attention, scan), and may override any of these.
 */
// The interface declares the forwarded methods; the class's static block defines them, from the list.
export interface KernelTableBackend<U extends UnaryOp = UnaryOp, B extends BinaryOp = BinaryOp> extends KernelTable<U, B> {}
export abstract class KernelTableBackend<U extends UnaryOp = UnaryOp, B extends BinaryOp = BinaryOp> {
  protected abstract readonly kernels: KernelTable<U, B>;

  static {
    for (const name of FORWARDED_KERNELS) {
      Object.defineProperty(this.prototype, name, {
        value: function (this: { kernels: Record<string, (...args: unknown[]) => void> }, ...args: unknown[]): void {
          this.kernels[name](...args);
        },
        writable: true,
        configurable: true,
      });
    }
  }
}
