/** Seeded host data shared by both sides of a case, and layout helpers. */

/** mulberry32: a small, fast, seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` floats uniform in [lo, hi). */
export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  const span = hi - lo;
  for (let i = 0; i < n; i++) out[i] = lo + span * next();
  return out;
}

/** `n` floats uniform in ±1/√fanIn: PyTorch's default init of a Linear or Conv layer's weight and bias. */
export function fanInUniform(n: number, fanIn: number, seed: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  return uniform(n, -bound, bound, seed);
}

/** `n` integers uniform in [0, high). */
export function integers(n: number, high: number, seed: number): Int32Array {
  const next = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * high);
  return out;
}

/** Row-major one-hot encoding of `labels` over `classes`. */
export function oneHot(labels: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((c, i) => (out[i * classes + c] = 1));
  return out;
}

/** Permute the axes of row-major `data` of `shape` (like `np.transpose(data, perm)`). */
export function permute(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const stepIn = perm.map((p) => inStrides[p]);
  const out = new Float32Array(s);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < s; i++) {
    out[i] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += stepIn[d];
      if (idx[d] < outShape[d]) break;
      src -= stepIn[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Largest |a - b| relative to max(1, max |b|); NaN when the lengths differ. */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) diff = d; // NaN propagates
    const m = Math.abs(b[i]);
    if (m > scale) scale = m;
  }
  return diff / scale;
}
