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
