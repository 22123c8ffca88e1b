/**
 * `tl.autograd.gradcheck`: compare the gradients autograd computes for a function with
 * central finite differences, as PyTorch's `torch.autograd.gradcheck` (for authors of custom
 * ops). Tensile computes in float32, so the default step and tolerances are looser than
 * PyTorch's float64 ones (eps 1e-6, atol 1e-5, rtol 1e-3).
 */
import type { Tensor } from '../tensor/tensor.js';
import { isFloating } from '../dtype.js';
import { formatShape } from '../shape.js';
import { tidy } from '../memory.js';
import { tensor } from '../ops/creation.js';
import { reshape } from '../ops/shape.js';
import { grad } from './engine.js';
import { enableGrad, noGrad } from './grad-mode.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-3). */
  eps?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
  /** Throw on a mismatch (default true, as PyTorch); with false, return false instead. */
  raiseException?: boolean;
}

function isTensor(value: unknown): value is Tensor {
  return value !== null && typeof value === 'object' && typeof (value as Tensor).kernelView === 'object';
}

function read(t: Tensor): Float64Array {
  if (!t.backend.readSync) {
    throw new Error(`gradcheck: backend '${t.device}' cannot read synchronously; run gradcheck on cpu or wasm tensors`);
  }
  return Float64Array.from(t.dataSync());
}

function outputsOf(result: unknown): Tensor[] {
  const outs = Array.isArray(result) ? result : [result];
  if (!outs.every(isTensor)) throw new TypeError('gradcheck: the function must return a Tensor or an array of Tensors');
  return outs as Tensor[];
}

function show(values: ArrayLike<number>, rows: number, cols: number): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    lines.push(`[${Array.from({ length: cols }, (_, c) => values[r * cols + c].toPrecision(6)).join(', ')}]`);
  }
  return lines.join('\n');
}

/**
 * Check `func`'s gradients at `inputs` against central finite differences, for every
 * floating output and every input that requires grad: returns true, or throws (or returns
 * false with `raiseException: false`) naming the output and input whose Jacobians differ and
 * printing both. Reads values synchronously (cpu, wasm, cuda).
 *
 * @example
 * ```ts
 * const x = tl.randn([3], { requiresGrad: true });
 * tl.autograd.gradcheck((a) => myOp(a), x); // true
 * ```
 */
export function gradcheck(func: (...inputs: Tensor[]) => Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradcheckOptions = {}): boolean {
  for (const key of Object.keys(options)) {
    if (!['eps', 'atol', 'rtol', 'raiseException'].includes(key)) {
      throw new Error(`gradcheck: unknown option '${key}'; supported: eps, atol, rtol, raiseException`);
    }
  }
  if (typeof func !== 'function') throw new TypeError(`gradcheck: expected a function, got ${typeof func}`);
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  const raise = options.raiseException ?? true;
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  ins.forEach((x, i) => {
    if (!isTensor(x)) throw new TypeError(`gradcheck: input ${i} is not a Tensor`);
  });
  const checked = ins.map((x, i) => [x, i] as const).filter(([x]) => x.requiresGrad && isFloating(x.dtype));
  if (checked.length === 0) throw new Error('gradcheck: expected at least one input tensor to require gradient');
  return tidy(() => {
    // Analytical: one backward pass per output element.
    const outs = enableGrad(() => outputsOf(func(...ins)));
    const failures: string[] = [];
    outs.forEach((out, oi) => {
      if (!isFloating(out.dtype)) return;
      const analytical = checked.map(([x]) => new Float64Array(out.size * x.size));
      for (let k = 0; k < out.size && out.requiresGrad; k++) {
        const host = new Float32Array(out.size);
        host[k] = 1;
        const seed = reshape(tensor(host, { device: out.device, dtype: out.dtype }), out.shape);
        const grads = grad([out], checked.map(([x]) => x), { gradOutputs: [seed], retainGraph: true, allowUnused: true });
        grads.forEach((g, j) => {
          if (g) read(g).forEach((v, e) => (analytical[j][k * checked[j][0].size + e] = v));
        });
      }
      // Numerical: central differences, one input element at a time.
      checked.forEach(([x, xi], j) => {
        const numerical = new Float64Array(out.size * x.size);
        for (let e = 0; e < x.size; e++) {
          const bump = new Float32Array(x.size);
          bump[e] = eps;
          const delta = reshape(tensor(bump, { device: x.device, dtype: x.dtype }), x.shape);
          const at = (sign: number) =>
            noGrad(() => read(outputsOf(func(...ins.map((other, i) => (i === xi ? other.add(delta.mul(sign)) : other))))[oi]));
          const plus = at(1);
          const minus = at(-1);
          for (let k = 0; k < out.size; k++) numerical[k * x.size + e] = (plus[k] - minus[k]) / (2 * eps);
        }
        const a = analytical[j];
        const bad = a.some((v, idx) => !(Math.abs(v - numerical[idx]) <= atol + rtol * Math.abs(numerical[idx])));
        if (bad) {
          failures.push(
            `Jacobian mismatch for output ${oi} with respect to input ${xi} (output ${formatShape(out.shape)}, input ${formatShape(x.shape)}; ` +
              `rows are output elements),\nnumerical:\n${show(numerical, out.size, x.size)}\nanalytical:\n${show(a, out.size, x.size)}`,
          );
        }
      });
    });
    if (failures.length === 0) return true;
    if (raise) throw new Error(`gradcheck: ${failures[0]}`);
    return false;
  });
}
