/**
 * `tl.func`: PyTorch's function transforms `torch.func.grad` and `torch.func.grad_and_value`
 * (functorch): turn a scalar function into one that returns its gradient; and `vmap`
 * (in vmap.ts), which maps a function over a dim of its inputs. They compose
 * (`func.grad(func.grad(f))` is the second derivative), because a gradient taken of inputs
 * that are themselves being differentiated keeps its graph.
 */
import type { Tensor } from '../tensor/tensor.js';
import { isFloating } from '../dtype.js';
import { formatShape } from '../shape.js';
import { tidy } from '../memory.js';
import { zerosLike } from '../ops/creation.js';
import { grad as gradOf, recordOp } from './engine.js';
import { enableGrad, isGradEnabled } from './grad-mode.js';

export { vmap, type InDims, type OutDims, type VmapOptions } from './vmap.js';

export interface GradTransformOptions {
  /** Which positional argument(s) to differentiate with respect to (default 0). */
  argnums?: number | number[];
  /** `func` returns `[output, aux]`; aux is passed back untouched (default false). */
  hasAux?: boolean;
}

function isTensor(value: unknown): value is Tensor {
  return value !== null && typeof value === 'object' && typeof (value as Tensor).kernelView === 'object';
}

function run(fn: string, func: (...args: any[]) => unknown, options: GradTransformOptions, args: unknown[]) {
  for (const key of Object.keys(options)) {
    if (key !== 'argnums' && key !== 'hasAux') throw new Error(`${fn}: unknown option '${key}'; supported: argnums, hasAux`);
  }
  const argnums = options.argnums ?? 0;
  const list = Array.isArray(argnums) ? argnums : [argnums];
  if (list.length === 0) throw new Error(`${fn}: argnums must name at least one argument`);
  const positions = list.map((a) => {
    if (!Number.isInteger(a) || a < -args.length || a >= args.length) {
      throw new Error(`${fn}: argnums ${a} is out of range for ${args.length} positional arguments`);
    }
    return a < 0 ? a + args.length : a;
  });
  if (new Set(positions).size !== positions.length) throw new Error(`${fn}: argnums has duplicates: [${list.join(', ')}]`);
  const outer = isGradEnabled();
  return tidy(() =>
    enableGrad(() => {
      let createGraph = false;
      const targets: Tensor[] = [];
      const call = [...args];
      for (const p of positions) {
        const a = args[p];
        if (!isTensor(a) || !isFloating(a.dtype)) {
          throw new TypeError(`${fn}: argument ${p} must be a floating-point Tensor to differentiate, got ${isTensor(a) ? a.dtype : typeof a}`);
        }
        let x: Tensor;
        if (outer && a.requiresGrad) {
          // Being differentiated from outside: stay connected, and give gradients a graph.
          x = recordOp('ViewAs', [a], a.internalAlias(false), [], (g) => [g]);
          createGraph = true;
        } else {
          x = a.detach();
          x.requiresGrad = true;
        }
        call[p] = x;
        targets.push(x);
      }
      const result = func(...call);
      let output: unknown = result;
      let aux: unknown;
      if (options.hasAux) {
        if (!Array.isArray(result) || result.length !== 2) {
          throw new Error(`${fn}: with hasAux the function must return [output, aux], got ${Array.isArray(result) ? `an array of ${result.length}` : typeof result}`);
        }
        [output, aux] = result;
      }
      if (!isTensor(output) || output.size !== 1) {
        throw new Error(`${fn}: the function must return a Tensor with a single element, got ${isTensor(output) ? `shape ${formatShape(output.shape)}` : typeof output}`);
      }
      const value = output;
      const grads = value.requiresGrad
        ? gradOf(value, targets, { createGraph, allowUnused: true })
        : targets.map(() => null);
      const filled = grads.map((g, i) => g ?? zerosLike(targets[i]));
      const gradResult = Array.isArray(argnums) ? filled : filled[0];
      return { gradResult, value: createGraph ? value : value.detach(), aux };
    }),
  );
}

/**
 * `func.grad(f)`: a function that returns the gradient of the scalar `f` with respect to
 * argument `argnums` (a Tensor; an array of Tensors when `argnums` is an array), as PyTorch's
 * `torch.func.grad`. With `hasAux`, `f` returns `[output, aux]` and the new function returns
 * `[gradient, aux]`.
 *
 * @example
 * ```ts
 * const df = tl.func.grad((x: tl.Tensor) => x.sin().sum());
 * df(x);                                   // cos(x)
 * const d2f = tl.func.grad((x: tl.Tensor) => tl.func.grad((y: tl.Tensor) => y.pow(3).sum())(x).sum());
 * d2f(tl.tensor([2]));                     // 12
 * ```
 */
export function grad<A extends unknown[]>(func: (...args: A) => unknown, options: GradTransformOptions = {}): (...args: A) => any {
  if (typeof func !== 'function') throw new TypeError(`grad: expected a function, got ${typeof func}`);
  return (...args: A) => {
    const { gradResult, value, aux } = run('grad', func as (...a: any[]) => unknown, options, args);
    value.dispose();
    return options.hasAux ? [gradResult, aux] : gradResult;
  };
}

/**
 * `func.gradAndValue(f)`: like `func.grad`, also returning `f`'s value: `[gradient, value]`,
 * or `[gradient, [value, aux]]` with `hasAux`, as PyTorch's `torch.func.grad_and_value`.
 *
 * @example
 * ```ts
 * const [g, loss] = tl.func.gradAndValue((w: tl.Tensor) => x.matmul(w).sub(y).square().mean())(w);
 * ```
 */
export function gradAndValue<A extends unknown[]>(func: (...args: A) => unknown, options: GradTransformOptions = {}): (...args: A) => any {
  if (typeof func !== 'function') throw new TypeError(`gradAndValue: expected a function, got ${typeof func}`);
  return (...args: A) => {
    const { gradResult, value, aux } = run('gradAndValue', func as (...a: any[]) => unknown, options, args);
    return [gradResult, options.hasAux ? [value, aux] : value];
  };
}
