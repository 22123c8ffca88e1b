/**
 * Plain loops that define what the non-elementwise kernels compute (the elementwise ones
 * are defined by the op table's reference functions). Written for clarity, in float64.
 */
import * as tl from '@tensile/core';

/** The row-major multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** `op` over `axes` of row-major `data`, folded with the op table's reference (int32 folds wrap). */
export function reduce(op: tl.ReduceOp, data: readonly number[], shape: readonly number[], axes: readonly number[], int = false): number[] {
  const facts = tl.reduceFacts(op);
  const fold = int ? (facts.intReference ?? ((a: number, x: number) => facts.reference(a, x) | 0)) : facts.reference;
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = tl.contiguousStrides(outShape);
  const acc = new Array<number>(tl.sizeOf(outShape)).fill(facts.identity);
  data.forEach((v, i) => {
    const o = unravel(i, shape).reduce((s, x, d) => s + (axes.includes(d) ? 0 : x * outStrides[d]), 0);
    acc[o] = fold(acc[o], v);
  });
  return acc;
}

/** Index of the first extreme value along `axis`; a NaN counts as the extreme, as PyTorch. */
export function argReduce(op: tl.ArgReduceOp, data: readonly number[], shape: readonly number[], axis: number): number[] {
  const outShape = shape.map((d, i) => (i === axis ? 1 : d));
  const out: number[] = [];
  const strides = tl.contiguousStrides(shape);
  for (let o = 0; o < tl.sizeOf(outShape); o++) {
    const base = unravel(o, outShape).reduce((s, x, d) => s + x * strides[d], 0);
    let best = 0;
    for (let k = 1; k < shape[axis]; k++) {
      const bv = data[base + best * strides[axis]];
      const v = data[base + k * strides[axis]];
      if (bv !== bv) break;
      if (v !== v || (op === 'argmax' ? v > bv : v < bv)) best = k;
    }
    out.push(best);
  }
  return out;
}

/** Softmax (or its log) along `axis`, shifted by the line's maximum. */
export function softmax(data: readonly number[], shape: readonly number[], axis: number, log: boolean): number[] {
  const out = new Array<number>(data.length);
  const strides = tl.contiguousStrides(shape);
  const outer = shape.map((d, i) => (i === axis ? 1 : d));
  for (let o = 0; o < tl.sizeOf(outer); o++) {
    const base = unravel(o, outer).reduce((s, x, d) => s + x * strides[d], 0);
    const at = (k: number) => base + k * strides[axis];
    const xs = Array.from({ length: shape[axis] }, (_, k) => data[at(k)]);
    const m = Math.max(...xs);
    const z = xs.reduce((s, v) => s + Math.exp(v - m), 0);
    xs.forEach((v, k) => (out[at(k)] = log ? v - m - Math.log(z) : Math.exp(v - m) / z));
  }
  return out;
}

/** C = A B for row-major [m, k] and [k, n]. */
export function matmul(a: readonly number[], b: readonly number[], m: number, k: number, n: number): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** conv2d of row-major x [N, C, H, W] and w [O, C / groups, kH, kW] (PyTorch's cross-correlation). */
export function conv2d(x: readonly number[], xShape: readonly number[], w: readonly number[], wShape: readonly number[], p: tl.Conv2dParams): number[] {
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const Og = O / p.groups;
  const oH = outSize(H, KH, p.stride[0], p.padding[0], p.dilation[0]);
  const oW = outSize(W, KW, p.stride[1], p.padding[1], p.dilation[1]);
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oh = 0; oh < oH; oh++) for (let ow = 0; ow < oW; ow++) {
    let s = 0;
    const g = Math.floor(o / Og);
    for (let c = 0; c < Cg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * p.stride[0] - p.padding[0] + kh * p.dilation[0];
      const iw = ow * p.stride[1] - p.padding[1] + kw * p.dilation[1];
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      s += x[((n * C + g * Cg + c) * H + ih) * W + iw] * w[((o * Cg + c) * KH + kh) * KW + kw];
    }
    out.push(s);
  }
  return out;
}

/** Output size of a window sweep (conv and pooling). */
export function outSize(size: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

/**
 * pool2d of row-major x [N, C, H, W]: values, and for max each window's first maximum (a
 * NaN takes over; -1 for an all-padding window).
 */
export function pool2d(op: tl.PoolOp, x: readonly number[], shape: readonly number[], p: tl.Pool2dParams): { out: number[]; argmax: number[] } {
  const [N, C, H, W] = shape;
  const oH = outSize(H, p.kernelSize[0], p.stride[0], p.padding[0], p.dilation[0]);
  const oW = outSize(W, p.kernelSize[1], p.stride[1], p.padding[1], p.dilation[1]);
  const out: number[] = [], argmax: number[] = [];
  for (let nc = 0; nc < N * C; nc++) for (let oh = 0; oh < oH; oh++) for (let ow = 0; ow < oW; ow++) {
    let best = -Infinity, bestAt = -1, sum = 0, count = 0;
    for (let i = 0; i < p.kernelSize[0]; i++) for (let j = 0; j < p.kernelSize[1]; j++) {
      const ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
      const iw = ow * p.stride[1] - p.padding[1] + j * p.dilation[1];
      const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
      const inPad = ih >= -p.padding[0] && ih < H + p.padding[0] && iw >= -p.padding[1] && iw < W + p.padding[1];
      if (inside) {
        const at = (nc * H + ih) * W + iw;
        if (bestAt < 0 || x[at] > best || x[at] !== x[at]) [best, bestAt] = [x[at], at];
        sum += x[at];
      }
      if (p.countIncludePad ? inPad : inside) count++;
    }
    out.push(op === 'max' ? best : sum / count);
    argmax.push(bestAt);
  }
  return { out, argmax };
}

export function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * b[i], 0);
}

/**
 * The first `k` positions of each row of row-major `[rows, n]` `data` in stable order:
 * ascending (descending with `descending`), NaN above every number, -0 equal to +0.
 */
export function sortRows(data: readonly number[], rows: number, n: number, descending: boolean, k: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = data.slice(r * n, (r + 1) * n);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
      const va = row[a], vb = row[b];
      const nanA = Number.isNaN(va), nanB = Number.isNaN(vb);
      let c: number;
      if (nanA || nanB) c = nanA === nanB ? 0 : nanA ? 1 : -1;
      else c = va < vb ? -1 : va > vb ? 1 : 0;
      return (descending ? -c : c) || a - b;
    });
    out.push(...order.slice(0, k));
  }
  return out;
}

/**
 * Attention of `B` heads in float64: `out` `[B, L, Ev]` and `lse` `[B, L]`, the contract of
 * `Backend.attention`. `mask(b, i, j)` is the additive mask (0 without one).
 */
export function attention(
  q: readonly number[], k: readonly number[], v: readonly number[],
  [B, L, S, E, Ev]: readonly number[], scale: number, causal: boolean, mask: (b: number, i: number, j: number) => number,
): { out: number[]; lse: number[] } {
  const out: number[] = [];
  const lse: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < L; i++) {
      const scores = Array.from({ length: S }, (_, j) => {
        if (causal && j > i) return -Infinity;
        let s = 0;
        for (let e = 0; e < E; e++) s += q[(b * L + i) * E + e] * k[(b * S + j) * E + e];
        return s * scale + mask(b, i, j);
      });
      const max = Math.max(...scores);
      const weights = scores.map((s) => Math.exp(s - max));
      const total = weights.reduce((a, w) => a + w, 0);
      lse.push(max + Math.log(total));
      for (let e = 0; e < Ev; e++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += weights[j] * v[(b * S + j) * Ev + e];
        out.push(acc / total);
      }
    }
  }
  return { out, lse };
}
