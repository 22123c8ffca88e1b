/**
 * Plain-JavaScript references for checks that run inside a browser page (no Node, no
 * vitest): the oracles the in-page subsets of the suite compare a backend against.
 */

/** `a` (m x k) times `b` (k x n), row-major, by the textbook triple loop. */
export function naiveMatmul(a: readonly number[], b: readonly number[], m: number, k: number, n: number): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
    out[i * n + j] = s;
  }
  return out;
}

export interface ConvShape { N: number; C: number; H: number; W: number; O: number; kH: number; kW: number; stride: number; pad: number }

/** Output height and width of a convolution. */
export function convOutSize(c: ConvShape): [number, number] {
  return [Math.floor((c.H + 2 * c.pad - c.kH) / c.stride) + 1, Math.floor((c.W + 2 * c.pad - c.kW) / c.stride) + 1];
}

/** Visit every (output, input, weight) index triple of a convolution (NCHW, OIHW). */
export function convVisit(c: ConvShape, visit: (o: number, i: number, w: number) => void): void {
  const [oH, oW] = convOutSize(c);
  for (let n = 0; n < c.N; n++) for (let o = 0; o < c.O; o++) for (let y = 0; y < oH; y++) for (let x = 0; x < oW; x++) {
    for (let ch = 0; ch < c.C; ch++) for (let i = 0; i < c.kH; i++) for (let j = 0; j < c.kW; j++) {
      const ih = y * c.stride - c.pad + i, iw = x * c.stride - c.pad + j;
      if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
      visit(((n * c.O + o) * oH + y) * oW + x, ((n * c.C + ch) * c.H + ih) * c.W + iw, ((o * c.C + ch) * c.kH + i) * c.kW + j);
    }
  }
}

/** One check's outcome, as a page publishes it in `globalThis.__tensile.results`. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail?: string;
}

/** The outcome of check `name`, from what it returned (true, or what is wrong) or the error it threw. */
export function checkOutcome(name: string, run: { returned: true | string } | { threw: unknown }): CheckResult {
  if ('threw' in run) return { name, ok: false, detail: String((run.threw as Error)?.stack ?? run.threw) };
  return run.returned === true ? { name, ok: true } : { name, ok: false, detail: run.returned };
}

/** True when `actual` is within `atol + rtol * |expected|` everywhere (NaN matches NaN), else where it is not. */
export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): true | string {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `element ${i}: ${a} != ${e}`;
  }
  return true;
}

/** True when `actual` equals `expected` exactly (NaN matches NaN), else the first difference. */
export function equal(actual: ArrayLike<number>, expected: ArrayLike<number>): true | string {
  return close(actual, expected, 0, 0);
}

/** `n` reproducible values in [lo, hi) from a 32-bit LCG seeded with `seed`. */
export function seededData(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 16777216) * (hi - lo);
  });
}

/** Softmax along each row of a `rows x cols` row-major matrix (shifted by the row's max). */
export function softmaxRows(x: readonly number[], rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = x.slice(r * cols, (r + 1) * cols), max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max)), s = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / s));
  }
  return out;
}

/** Log-softmax down each column of a `rows x cols` row-major matrix. */
export function logSoftmaxColumns(x: readonly number[], rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let c = 0; c < cols; c++) {
    const col = Array.from({ length: rows }, (_, r) => x[r * cols + c]), max = Math.max(...col);
    const lse = max + Math.log(col.reduce((a, v) => a + Math.exp(v - max), 0));
    for (let r = 0; r < rows; r++) out[r * cols + c] = x[r * cols + c] - lse;
  }
  return out;
}

/**
 * 2x2 max pooling with stride 2 over `planes` square planes of side `size`: the outputs, and
 * the gradient of their sum (1 at each window's first maximum, as PyTorch picks it).
 */
export function maxPool2x2(x: readonly number[], planes: number, size: number): { out: number[]; grad: number[] } {
  const out: number[] = [], grad = new Array<number>(x.length).fill(0);
  const half = size / 2;
  for (let p = 0; p < planes; p++) for (let i = 0; i < half; i++) for (let j = 0; j < half; j++) {
    let best = -1;
    for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
      const at = p * size * size + (2 * i + a) * size + 2 * j + b;
      if (best < 0 || x[at] > x[best]) best = at;
    }
    out.push(x[best]);
    grad[best] += 1;
  }
  return { out, grad };
}
