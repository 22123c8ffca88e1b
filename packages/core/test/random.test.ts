import { describe, expect, it } from 'vitest';
import { philox4x32, randomElement } from '../src/index.js';

describe('Philox4x32-10', () => {
  // Known-answer vectors from the Random123 distribution (kat_vectors, philox4x32_10).
  it('matches Random123 for the zero key and counter', () => {
    // Our API takes the 2-word counter (c0, c1) with c2 = c3 = 0, and a 2-word key.
    expect(philox4x32(0, 0, 0, 0).map((w) => w.toString(16).padStart(8, '0'))).toEqual([
      '6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8',
    ]);
  });

  it('gives uniform values in [0, 1) and standard normals from a seed', () => {
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = randomElement('uniform', 42, i);
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = randomElement('normal', 42, i);
      sum += z;
      sumSq += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
  });

  it('depends only on (seed, index): the same element twice, different seeds differ', () => {
    expect(randomElement('uniform', 7, 123456)).toBe(randomElement('uniform', 7, 123456));
    expect(randomElement('uniform', 7, 5)).not.toBe(randomElement('uniform', 8, 5));
  });
});
