/**
 * `tl.autograd.functional`: PyTorch's `torch.autograd.functional` (vjp, jvp, jacobian,
 * hessian, vhp, hvp), built on `tl.grad`. Forward-mode products use the double-backward trick,
 * as PyTorch's do, so they need every op on the path to have a differentiable backward (all
 * of core's ops do).
 *
 * Inputs and outputs are a Tensor or an array of Tensors (PyTorch's tuples); results follow
 * the same structure. Results are detached unless `createGraph`; every intermediate is
 * freed before the call returns, and a failed call frees everything it made.
 */
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, shapesEqual, sizeOf } from '../shape.js';
import { tidy } from '../memory.js';
import { stack, reshape, squeeze } from '../ops/shape.js';
import { tensor, zerosLike } from '../ops/creation.js';
import { grad, recordOp } from './engine.js';
import { enableGrad } from './grad-mode.js';

/** A Tensor, or an array of Tensors (PyTorch's tuple). */
export type TensorOrTensors = Tensor | readonly Tensor[];

/** The structure a result takes: a Tensor for a Tensor, an array for an array. */
export type Like<T extends TensorOrTensors> = T extends Tensor ? Tensor : Tensor[];

/** The Jacobian's structure: `J`, `J[j]` or `J[i][j]` for output i and input j. */
export type JacobianOf<O extends TensorOrTensors, I extends TensorOrTensors> = O extends Tensor
  ? Like<I>
  : I extends Tensor
    ? Tensor[]
    : Tensor[][];

/** The Hessian's structure: `H` for one input, `H[i][j]` for several. */
export type HessianOf<I extends TensorOrTensors> = I extends Tensor ? Tensor : Tensor[][];

export interface FunctionalOptions {
  /** Compute the result in a differentiable way (it keeps its graph). Default false. */
  createGraph?: boolean;
  /** Throw when an output is independent of an input instead of returning zeros. Default false. */
  strict?: boolean;
}

export type JacobianStrategy = 'reverse-mode' | 'forward-mode';

export interface JacobianOptions extends FunctionalOptions {
  /**
   * `'reverse-mode'` (default): one backward pass per output element. `'forward-mode'`: one
   * Jacobian-vector product per input element (better when outputs outnumber inputs); not
   * with `createGraph` or `strict`, as in PyTorch.
   */
  strategy?: JacobianStrategy;
  /** PyTorch's vmap-based batching of the rows; only `false`: `tl.func.vmap` runs one sample at a time, so it would batch nothing. */
  vectorize?: false;
}

export interface HessianOptions extends FunctionalOptions {
  /** How the outer Jacobian (of the gradient) is computed; the inner one is reverse-mode. */
  outerJacobianStrategy?: JacobianStrategy;
  /** Only `false` (see `JacobianOptions.vectorize`). */
  vectorize?: false;
}

type Fn<O extends TensorOrTensors> = (...inputs: Tensor[]) => O;

function isTensor(value: unknown): value is Tensor {
  return value !== null && typeof value === 'object' && typeof (value as Tensor).kernelView === 'object';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/** Check `options` against what `fn` supports, and read the two options every product shares. */
function readOptions(fn: string, options: FunctionalOptions, allowed: readonly string[]): { createGraph: boolean; strict: boolean } {
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new Error(`${fn}: unknown option '${key}'; supported: ${allowed.join(', ')}`);
  }
  const o = options as { vectorize?: unknown; createGraph?: unknown; strict?: unknown };
  if (o.vectorize !== undefined && o.vectorize !== false) {
    throw new Error(`${fn}: vectorize is not supported (tl.func.vmap runs one sample at a time, so it would batch nothing); leave it false`);
  }
  for (const key of ['createGraph', 'strict'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new TypeError(`${fn}: option ${key} must be a boolean, got ${describe(o[key])}`);
  }
  return { createGraph: options.createGraph ?? false, strict: options.strict ?? false };
}

/** PyTorch's `_as_tuple`: the tensors, and whether they came as an array. */
function asTuple(value: unknown, what: string, fn: string): { isTuple: boolean; tensors: Tensor[] } {
  const isTuple = Array.isArray(value);
  const tensors = isTuple ? [...(value as unknown[])] : [value];
  tensors.forEach((el, i) => {
    if (!isTensor(el)) {
      throw new TypeError(
        `${fn}: the ${what} must be a Tensor or an array of Tensors, but ` +
          (isTuple ? `the value at index ${i} is ${describe(el)}` : `got ${describe(el)}`),
      );
    }
  });
  return { isTuple, tensors: tensors as Tensor[] };
}

function untuple<T>(values: T[], isTuple: boolean): T | T[] {
  return isTuple ? values : values[0];
}

/**
 * PyTorch's `_grad_preprocess`: a new tensor per input, so that inputs given as arguments
 * are told apart from the same tensors captured by `func`. With `createGraph`, inputs that
 * require grad stay connected to their graph (an identity op); others are detached leaves.
 */
function preprocess(inputs: Tensor[], createGraph: boolean): Tensor[] {
  return inputs.map((x) => {
    if (createGraph && x.requiresGrad) {
      return recordOp('ViewAs', [x], x.internalAlias(false), [], (g) => [g]);
    }
    const leaf = x.detach();
    if (leaf.dtype === 'float32' || leaf.dtype === 'float16') leaf.requiresGrad = true;
    return leaf;
  });
}

function checkV(fn: string, v: Tensor[], others: Tensor[], isTuple: boolean): void {
  if (v.length !== others.length) {
    if (isTuple) throw new Error(`${fn}: v is an array of invalid length: should be ${others.length} but got ${v.length}`);
    throw new Error(`${fn}: the given v should contain a single Tensor, got ${v.length}`);
  }
  v.forEach((el, i) => {
    if (!shapesEqual(el.shape, others[i].shape)) {
      const entry = isTuple ? `entry ${i} in ` : '';
      throw new Error(`${fn}: ${entry}v has invalid size: should be ${formatShape(others[i].shape)} but got ${formatShape(el.shape)}`);
    }
  });
}

type CheckKind = 'outputs' | 'gradInputs' | 'jacobian' | 'hessian';

/** PyTorch's `_check_requires_grad`: in strict mode, every tensor must depend on the inputs. */
function checkRequiresGrad(fn: string, tensors: (Tensor | null)[], kind: CheckKind, strict: boolean): void {
  if (!strict) return;
  tensors.forEach((t, i) => {
    if (t === null) {
      throw new Error(`${fn}: the output of the function is independent of input ${i}; this is not allowed in strict mode`);
    }
    if (t.requiresGrad) return;
    switch (kind) {
      case 'hessian':
        throw new Error(
          `${fn}: the hessian of the function with respect to input ${i} is independent of the input; this is not ` +
            `allowed in strict mode (the function must be thrice differentiable and its hessian depend on the inputs)`,
        );
      case 'jacobian':
        throw new Error(
          `${fn}: while computing the hessian, found that the jacobian of the function with respect to input ${i} is ` +
            `independent of the input; this is not allowed in strict mode (the function must be twice differentiable ` +
            `and its jacobian depend on the inputs, which a linear function violates)`,
        );
      case 'gradInputs':
        throw new Error(`${fn}: the gradient with respect to input ${i} is independent of the inputs of the function; this is not allowed in strict mode`);
      default:
        throw new Error(
          `${fn}: output ${i} of the function does not require grad; in strict mode the outputs must be computed ` +
            `in a differentiable way from the inputs`,
        );
    }
  });
}

/** PyTorch's `_autograd_grad`: tl.grad that skips outputs without a graph, null for unused inputs. */
function autogradGrad(
  outputs: (Tensor | null)[],
  inputs: Tensor[],
  gradOutputs: Tensor[] | null,
  options: { createGraph: boolean; retainGraph?: boolean },
): (Tensor | null)[] {
  const outs: Tensor[] = [];
  const gouts: Tensor[] = [];
  outputs.forEach((o, i) => {
    if (o !== null && o.requiresGrad) {
      outs.push(o);
      if (gradOutputs) gouts.push(gradOutputs[i]);
    }
  });
  if (outs.length === 0) return inputs.map(() => null);
  return grad(outs, inputs, {
    gradOutputs: gradOutputs ? gouts : undefined,
    createGraph: options.createGraph,
    retainGraph: options.retainGraph ?? options.createGraph,
    allowUnused: true,
  });
}

type Stage = 'back' | 'backTrick' | 'doubleBack' | 'doubleBackTrick';

/** PyTorch's `_fill_in_zeros`: zeros for inputs nothing depends on, or an error in strict mode. */
function fillInZeros(fn: string, grads: (Tensor | null)[], refs: Tensor[], strict: boolean, createGraph: boolean, stage: Stage): Tensor[] {
  return grads.map((g, i) => {
    if (g === null) {
      if (strict) {
        switch (stage) {
          case 'back':
            throw new Error(`${fn}: the output of the function is independent of input ${i}; this is not allowed in strict mode`);
          case 'backTrick':
            throw new Error(
              `${fn}: the gradient with respect to the input is independent of entry ${i} in the grad outputs when using ` +
                `the double backward trick to compute forward-mode gradients; this is not allowed in strict mode`,
            );
          case 'doubleBack':
            throw new Error(`${fn}: the jacobian of the function is independent of input ${i}; this is not allowed in strict mode`);
          default:
            throw new Error(
              `${fn}: the hessian of the function is independent of entry ${i} in the grad jacobian; this is not allowed ` +
                `in strict mode, as it prevents the double backward trick that replaces forward-mode AD`,
            );
        }
      }
      return zerosLike(refs[i]);
    }
    if (strict && createGraph && !g.requiresGrad) {
      const what = stage === 'doubleBack' || stage === 'doubleBackTrick' ? 'hessian' : 'jacobian';
      throw new Error(`${fn}: the ${what} of the function is independent of input ${i}; this is not allowed in strict mode when createGraph is true`);
    }
    return g;
  });
}

/** PyTorch's `_grad_postprocess`: results without history unless the caller asked for it. */
function postprocess(tensors: Tensor[], createGraph: boolean): Tensor[] {
  if (createGraph) return tensors;
  return tensors.map((t) => (t.gradFn ? t.detach() : t));
}

function callFunc(fn: string, func: unknown, inputs: Tensor[]): { isTuple: boolean; tensors: Tensor[] } {
  if (typeof func !== 'function') throw new TypeError(`${fn}: expected a function, got ${describe(func)}`);
  const out = enableGrad(() => (func as (...xs: Tensor[]) => unknown)(...inputs));
  return asTuple(out, 'outputs of the function', fn);
}

function vectorInputs(fn: string, v: TensorOrTensors | undefined, against: Tensor[], isTuple: boolean, omitted: string): Tensor[] | null {
  if (v === undefined || v === null) {
    if (against.length !== 1 || against[0].size !== 1) throw new Error(`${fn}: the vector v can only be omitted if ${omitted}`);
    return null;
  }
  const { tensors } = asTuple(v, 'v', fn);
  checkV(fn, tensors, against, isTuple);
  return tensors;
}

/**
 * The vector-Jacobian product `vᵀ·J` of `func` at `inputs`, and `func(inputs)`, as PyTorch's
 * `torch.autograd.functional.vjp`. `v` is shaped like the outputs; it may be omitted when
 * `func` returns one one-element tensor.
 *
 * @example
 * ```ts
 * const [out, vjp] = tl.autograd.functional.vjp((x) => x.exp().sum(1), x, tl.ones([4]));
 * // vjp = exp(x) (one row of v per row of x)
 * ```
 */
export function vjp<I extends TensorOrTensors, O extends TensorOrTensors>(
  func: Fn<O>,
  inputs: I,
  v?: TensorOrTensors,
  options: FunctionalOptions = {},
): [Like<O>, Like<I>] {
  const fn = 'vjp';
  const { createGraph, strict } = readOptions(fn, options, ['createGraph', 'strict']);
  return tidy(() => enableGrad(() => {
    const { isTuple: inputsTuple, tensors } = asTuple(inputs, 'inputs', fn);
    const ins = preprocess(tensors, createGraph);
    const { isTuple: outputsTuple, tensors: outs } = callFunc(fn, func, ins);
    checkRequiresGrad(fn, outs, 'outputs', strict);
    const vs = vectorInputs(fn, v, outs, outputsTuple, 'the function returns a single Tensor with a single element');
    const grads = autogradGrad(outs, ins, vs, { createGraph });
    const result = fillInZeros(fn, grads, ins, strict, createGraph, 'back');
    return [untuple(postprocess(outs, createGraph), outputsTuple), untuple(postprocess(result, createGraph), inputsTuple)] as [Like<O>, Like<I>];
  }));
}

/**
 * The Jacobian-vector product `J·v` of `func` at `inputs`, and `func(inputs)`, as PyTorch's
 * `torch.autograd.functional.jvp` (by the double-backward trick). `v` is shaped like the
 * inputs; it may be omitted for a single one-element input.
 *
 * @example
 * ```ts
 * const [out, jvp] = tl.autograd.functional.jvp((x, y) => x.mul(2).add(y.mul(3)), [x, y], [tl.onesLike(x), tl.onesLike(y)]);
 * // jvp = 5 everywhere
 * ```
 */
export function jvp<I extends TensorOrTensors, O extends TensorOrTensors>(
  func: Fn<O>,
  inputs: I,
  v?: TensorOrTensors,
  options: FunctionalOptions = {},
): [Like<O>, Like<O>] {
  const fn = 'jvp';
  const { createGraph, strict } = readOptions(fn, options, ['createGraph', 'strict']);
  return tidy(() => enableGrad(() => {
    const { isTuple: inputsTuple, tensors } = asTuple(inputs, 'inputs', fn);
    const ins = preprocess(tensors, createGraph);
    const vs = vectorInputs(fn, v, ins, inputsTuple, 'the input is a single Tensor with a single element');
    const { isTuple: outputsTuple, tensors: outs } = callFunc(fn, func, ins);
    checkRequiresGrad(fn, outs, 'outputs', strict);
    const result = jvpOf(fn, outs, ins, vs, createGraph, strict);
    return [untuple(postprocess(outs, createGraph), outputsTuple), untuple(postprocess(result, createGraph), outputsTuple)] as [Like<O>, Like<O>];
  }));
}

/** J·v for outputs already computed from `ins`, by differentiating the vjp with respect to its vector. */
function jvpOf(fn: string, outs: Tensor[], ins: Tensor[], vs: Tensor[] | null, createGraph: boolean, strict: boolean): Tensor[] {
  // The backward is linear in its incoming gradient, so its value does not matter (zeros
  // keep it free of inf and NaN).
  const gradOutputs = outs.map((o) => {
    const u = zerosLike(o);
    u.requiresGrad = true;
    return u;
  });
  const gradInputs = autogradGrad(outs, ins, gradOutputs, { createGraph: true });
  checkRequiresGrad(fn, gradInputs, 'gradInputs', strict);
  const grads = autogradGrad(gradInputs, gradOutputs, vs, { createGraph });
  return fillInZeros(fn, grads, outs, strict, createGraph, 'backTrick');
}

function oneHot(like: Tensor, index: number): Tensor {
  const host = new Float32Array(like.size);
  host[index] = 1;
  return reshape(tensor(host, { device: like.device, dtype: like.dtype }), like.shape);
}

/**
 * The Jacobian of `func` at `inputs`, as PyTorch's `torch.autograd.functional.jacobian`:
 * `J[i][j]` has shape `[...outputs[i].shape, ...inputs[j].shape]` (a single Tensor when
 * both are single, one array level when one of them is).
 *
 * @example
 * ```ts
 * const J = tl.autograd.functional.jacobian((x) => x.exp().sum(1), tl.rand([2, 2]));
 * J.shape; // [2, 2, 2]
 * ```
 */
export function jacobian<I extends TensorOrTensors, O extends TensorOrTensors>(
  func: Fn<O>,
  inputs: I,
  options: JacobianOptions = {},
): JacobianOf<O, I> {
  const fn = 'jacobian';
  const { createGraph, strict } = readOptions(fn, options, ['createGraph', 'strict', 'strategy', 'vectorize']);
  const strategy = options.strategy ?? 'reverse-mode';
  if (strategy !== 'reverse-mode' && strategy !== 'forward-mode') {
    throw new Error(`${fn}: strategy must be 'forward-mode' or 'reverse-mode', got '${String(strategy)}'`);
  }
  if (strategy === 'forward-mode') {
    if (createGraph) throw new Error(`${fn}: createGraph and strategy 'forward-mode' are not supported together; use 'reverse-mode'`);
    if (strict) throw new Error(`${fn}: strict and strategy 'forward-mode' are not supported together; use 'reverse-mode'`);
  }
  return tidy(() => enableGrad(() => {
    const { isTuple: inputsTuple, tensors } = asTuple(inputs, 'inputs', fn);
    const ins = preprocess(tensors, createGraph);
    const { isTuple: outputsTuple, tensors: outs } = callFunc(fn, func, ins);
    checkRequiresGrad(fn, outs, 'outputs', strict);
    const blocks = strategy === 'reverse-mode' ? reverseJacobian(fn, outs, ins, createGraph, strict) : forwardJacobian(fn, outs, ins);
    const result = blocks.map((row) => untuple(postprocess(row, createGraph), inputsTuple));
    return untuple(result as (Tensor | Tensor[])[], outputsTuple) as JacobianOf<O, I>;
  }));
}

/** Block [i][j] of the Jacobian, one backward pass per element of each output. */
function reverseJacobian(fn: string, outs: Tensor[], ins: Tensor[], createGraph: boolean, strict: boolean): Tensor[][] {
  return outs.map((out, i) => {
    const rows: Tensor[][] = ins.map(() => []);
    for (let k = 0; k < out.size; k++) {
      const grads = autogradGrad([out], ins, [oneHot(out, k)], { createGraph, retainGraph: true });
      grads.forEach((g, j) => {
        if (g === null) {
          if (strict) throw new Error(`${fn}: output ${i} of the function is independent of input ${j}; this is not allowed in strict mode`);
          rows[j].push(zerosLike(ins[j]));
          return;
        }
        if (strict && createGraph && !g.requiresGrad) {
          throw new Error(`${fn}: the jacobian of the function is independent of input ${i}; this is not allowed in strict mode when createGraph is true`);
        }
        rows[j].push(g);
      });
    }
    return ins.map((x, j) => blockOf(rows[j], out.shape, x));
  });
}

/** Block [i][j] of the Jacobian, one Jacobian-vector product per element of each input. */
function forwardJacobian(fn: string, outs: Tensor[], ins: Tensor[]): Tensor[][] {
  // columns[i][j][k]: d outs[i] / d ins[j][k], shaped like outs[i].
  const columns: Tensor[][][] = outs.map(() => ins.map(() => []));
  ins.forEach((x, j) => {
    for (let k = 0; k < x.size; k++) {
      const vs = ins.map((other, jj) => (jj === j ? oneHot(x, k) : zerosLike(other)));
      const products = jvpOf(fn, outs, ins, vs, false, false);
      products.forEach((p, i) => columns[i][j].push(p));
    }
  });
  return outs.map((out, i) =>
    ins.map((x, j) => {
      const cols = columns[i][j];
      if (cols.length === 0 || out.size === 0) return zerosOfShape(out, [...out.shape, ...x.shape]);
      // [inSize, ...outShape] -> [...outShape, ...inShape]
      const stacked = reshape(stack(cols, 0), [x.size, out.size]);
      return reshape(stacked.transpose(0, 1), [...out.shape, ...x.shape]);
    }),
  );
}

function zerosOfShape(like: Tensor, shape: number[]): Tensor {
  return reshape(tensor(new Float32Array(sizeOf(shape)), { device: like.device, dtype: like.dtype }), shape);
}

function blockOf(rows: Tensor[], outShape: readonly number[], x: Tensor): Tensor {
  const shape = [...outShape, ...x.shape];
  if (rows.length === 0) return zerosOfShape(x, shape);
  return reshape(stack(rows, 0), shape);
}

/**
 * The Hessian of a scalar `func` at `inputs`, as PyTorch's `torch.autograd.functional.hessian`
 * (the Jacobian of the gradient): shape `[...x.shape, ...x.shape]` for one input, `H[i][j]` of
 * shape `[...inputs[i].shape, ...inputs[j].shape]` for several.
 *
 * @example
 * ```ts
 * const H = tl.autograd.functional.hessian((x) => x.pow(3).sum(), tl.tensor([1, 2]));
 * await H.array(); // [[6, 0], [0, 12]]
 * ```
 */
export function hessian<I extends TensorOrTensors>(func: Fn<Tensor>, inputs: I, options: HessianOptions = {}): HessianOf<I> {
  const fn = 'hessian';
  const { createGraph, strict } = readOptions(fn, options, ['createGraph', 'strict', 'outerJacobianStrategy', 'vectorize']);
  const { isTuple } = asTuple(inputs, 'inputs', fn);
  const outer = options.outerJacobianStrategy ?? 'reverse-mode';
  const scalar = (...xs: Tensor[]): Tensor => {
    const { isTuple: tuple, tensors } = callFunc(fn, func, xs);
    checkRequiresGrad(fn, tensors, 'outputs', strict);
    if (tuple) throw new Error(`${fn}: the function should return a single Tensor, got an array of ${tensors.length}`);
    if (tensors[0].size !== 1) {
      throw new Error(`${fn}: the function should return a Tensor with a single element, got shape ${formatShape(tensors[0].shape)}`);
    }
    return squeeze(tensors[0]);
  };
  const gradient = (...xs: Tensor[]): Tensor[] => {
    const inner = xs.map((x) => {
      if (outer !== 'forward-mode' || x.requiresGrad) return x;
      const leaf = x.detach();
      leaf.requiresGrad = true;
      return leaf;
    });
    const g = jacobian(scalar, inner, { createGraph: true }) as Tensor[];
    checkRequiresGrad(fn, g, 'jacobian', strict);
    return g;
  };
  const result = jacobian(gradient, [...asTuple(inputs, 'inputs', fn).tensors], {
    createGraph,
    strict,
    strategy: outer,
  }) as Tensor[][];
  return (isTuple ? result : result[0][0]) as HessianOf<I>;
}

/** Shared by vhp and hvp: validate, run `func`, and take its gradient with a graph. */
function secondOrder(fn: string, func: unknown, inputs: TensorOrTensors, v: TensorOrTensors | undefined, createGraph: boolean, strict: boolean) {
  const { isTuple: inputsTuple, tensors } = asTuple(inputs, 'inputs', fn);
  const ins = preprocess(tensors, createGraph);
  const vs = vectorInputs(fn, v, ins, inputsTuple, 'the input is a single Tensor with a single element');
  const { isTuple: outputsTuple, tensors: outs } = callFunc(fn, func, ins);
  checkRequiresGrad(fn, outs, 'outputs', strict);
  if (outputsTuple) throw new Error(`${fn}: the function should return a single Tensor, got an array of ${outs.length}`);
  if (outs[0].size !== 1) throw new Error(`${fn}: the function should return a Tensor with a single element, got shape ${formatShape(outs[0].shape)}`);
  const jac = autogradGrad(outs, ins, null, { createGraph: true });
  checkRequiresGrad(fn, jac, 'jacobian', strict);
  return { inputsTuple, ins, vs, outs, jac };
}

/**
 * The vector-Hessian product `vᵀ·H` of a scalar `func` at `inputs`, and `func(inputs)`, as
 * PyTorch's `torch.autograd.functional.vhp`.
 *
 * @example
 * ```ts
 * const [value, vhp] = tl.autograd.functional.vhp((x) => x.pow(3).sum(), x, tl.onesLike(x));
 * // vhp = 6x
 * ```
 */
export function vhp<I extends TensorOrTensors>(func: Fn<Tensor>, inputs: I, v?: TensorOrTensors, options: FunctionalOptions = {}): [Tensor, Like<I>] {
  const fn = 'vhp';
  const { createGraph, strict } = readOptions(fn, options, ['createGraph', 'strict']);
  return tidy(() => enableGrad(() => {
    const { inputsTuple, ins, vs, outs, jac } = secondOrder(fn, func, inputs, v, createGraph, strict);
    const grads = autogradGrad(jac, ins, vs, { createGraph });
    const result = fillInZeros(fn, grads, ins, strict, createGraph, 'doubleBack');
    return [postprocess(outs, createGraph)[0], untuple(postprocess(result, createGraph), inputsTuple)] as [Tensor, Like<I>];
  }));
}

/**
 * The Hessian-vector product `H·v` of a scalar `func` at `inputs`, and `func(inputs)`, as
 * PyTorch's `torch.autograd.functional.hvp` (by the double-backward trick; for the twice
 * differentiable functions it is meant for, equal to `vhp` since H is symmetric).
 *
 * @example
 * ```ts
 * const [value, hvp] = tl.autograd.functional.hvp((x) => x.pow(3).sum(), x, tl.onesLike(x));
 * ```
 */
export function hvp<I extends TensorOrTensors>(func: Fn<Tensor>, inputs: I, v?: TensorOrTensors, options: FunctionalOptions = {}): [Tensor, Like<I>] {
  const fn = 'hvp';
  const { createGraph, strict } = readOptions(fn, options, ['createGraph', 'strict']);
  return tidy(() => enableGrad(() => {
    const { inputsTuple, ins, vs, outs, jac } = secondOrder(fn, func, inputs, v, createGraph, strict);
    const gradJac = ins.map((x) => {
      const u = zerosLike(x);
      u.requiresGrad = true;
      return u;
    });
    const doubleBack = autogradGrad(jac, ins, gradJac, { createGraph: true });
    checkRequiresGrad(fn, jac, 'hessian', strict);
    const grads = autogradGrad(doubleBack, gradJac, vs, { createGraph });
    const result = fillInZeros(fn, grads, ins, strict, createGraph, 'doubleBackTrick');
    return [postprocess(outs, createGraph)[0], untuple(postprocess(result, createGraph), inputsTuple)] as [Tensor, Like<I>];
  }));
}
