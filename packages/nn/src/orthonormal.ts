/** Host-side QR for `init.orthogonal_` (not exported from the package). */

/**
 * The Q of the reduced QR factorisation of the `m × n` row-major matrix `a`
 * (`m ≥ n`), with R's diagonal made non-negative (PyTorch's `orthogonal_` fixes signs this
 * way, which makes Q unique). Householder reflections in float64.
 */
export function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  if (m < n) throw new Error(`orthonormalColumns: needs rows >= columns, got ${m} x ${n}`);
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const x0 = r[k * n + k];
    const alpha = x0 > 0 ? -norm : norm; // R[k][k] = alpha
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = r[i * n + k];
    v[0] -= alpha;
    let vn = 0;
    for (const e of v) vn += e * e;
    vn = Math.sqrt(vn);
    if (vn > 0) for (let i = 0; i < v.length; i++) v[i] /= vn;
    vs.push(v);
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * r[i * n + j];
      for (let i = k; i < m; i++) r[i * n + j] -= 2 * v[i - k] * dot;
    }
    signs[k] = Math.sign(r[k * n + k]);
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * q[i * n + j];
      for (let i = k; i < m; i++) q[i * n + j] -= 2 * v[i - k] * dot;
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] *= signs[j];
  return q;
}
