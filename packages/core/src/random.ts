/**
 * Philox4x32-10, the counter-based generator behind `rand`, `randn` and dropout.
 * Output element `i` of a draw with key `{ seed, offset }` depends only on
 * (seed, offset + i), so every backend that implements these few lines produces the same
 * numbers for one seed. Backends on the host import these functions; GPU backends port
 * them line for line.
 */
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

function mulhilo(a: number, b: number): [number, number] {
  // 32x32 -> 64-bit product split into hi and lo words, exactly, with 16-bit limbs.
  const lo = Math.imul(a, b) >>> 0;
  const aHi = a >>> 16, aLo = a & 0xffff, bHi = b >>> 16, bLo = b & 0xffff;
  const loLo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  const carry = ((loLo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  const hi = (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
  return [hi, lo];
}

/** Four 32-bit words for counter `(c0, c1)` under key `(k0, k1)`. */
export function philox4x32(c0: number, c1: number, k0: number, k1: number): [number, number, number, number] {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, x2 = 0, x3 = 0;
  let key0 = k0 >>> 0, key1 = k1 >>> 0;
  for (let round = 0; round < 10; round++) {
    const [hi0, lo0] = mulhilo(M0, x0);
    const [hi1, lo1] = mulhilo(M1, x2);
    const n0 = (hi1 ^ x1 ^ key0) >>> 0;
    const n2 = (hi0 ^ x3 ^ key1) >>> 0;
    x0 = n0; x1 = lo1; x2 = n2; x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  return [x0, x1, x2, x3];
}

/** A 32-bit word to a float32 in [0, 1): the top 24 bits, scaled. */
export function uint32ToUniform(word: number): number {
  return (word >>> 8) * (1 / 16777216);
}

/**
 * Element `i` of a draw: counter is `(offset + i, 0)`, key is `(seed, 0x7e45113)`.
 * Uniform uses word 0; normal uses Box-Muller on words 0 and 1.
 */
export function randomElement(distribution: 'uniform' | 'normal', seed: number, index: number): number {
  const counterLo = index % 4294967296;
  const counterHi = Math.floor(index / 4294967296);
  const [w0, w1] = philox4x32(counterLo, counterHi, seed >>> 0, 0x7e45113);
  const u0 = uint32ToUniform(w0);
  if (distribution === 'uniform') return u0;
  const u1 = uint32ToUniform(w1);
  // 1 - u0 lies in (0, 1], so the log is finite.
  return Math.sqrt(-2 * Math.log(1 - u0)) * Math.cos(2 * Math.PI * u1);
}
