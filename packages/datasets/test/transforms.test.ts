import { describe, expect, it } from 'vitest';
import { Rng, compose, normalize, randomCrop, randomHorizontalFlip, type ImageArray } from '../src/index.js';

const image = (channels: number, height: number, width: number): ImageArray => ({
  data: Float32Array.from({ length: channels * height * width }, (_, i) => i + 1),
  channels,
  height,
  width,
});

describe('transforms', () => {
  it('normalize subtracts the mean and divides by the std per channel', () => {
    const out = normalize([1, 2], [2, 4])(image(2, 1, 2));
    expect(Array.from(out.data)).toEqual([0, 0.5, (3 - 2) / 4, (4 - 2) / 4]);
    expect(Array.from(normalize(0.5, 0.5)({ data: Float32Array.from([0, 1]), channels: 1, height: 1, width: 2 }).data)).toEqual([-1, 1]);
    expect(() => normalize([0, 0, 0], [1, 1, 1])(image(2, 1, 1))).toThrow(/3 values but the image has 2 channels/);
    expect(() => normalize(0, 0)).toThrow(/non-zero/);
  });

  it('randomHorizontalFlip mirrors rows with probability p', () => {
    const img = image(2, 2, 3);
    expect(Array.from(randomHorizontalFlip(1)(img).data)).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
    expect(randomHorizontalFlip(0)(img)).toBe(img);
    const rng = new Rng(4);
    let flips = 0;
    for (let i = 0; i < 2000; i++) if (randomHorizontalFlip(0.3)(img, rng) !== img) flips++;
    expect(flips / 2000).toBeGreaterThan(0.25);
    expect(flips / 2000).toBeLessThan(0.35);
  });

  it('randomCrop pads with zeros and cuts a window of the requested size', () => {
    const img = image(1, 4, 4);
    const out = randomCrop(4, 0)(img);
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
    const seen = new Set<string>();
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const c = randomCrop(4, 1)(img, rng);
      expect([c.height, c.width]).toEqual([4, 4]);
      // Every window is the padded image shifted by -1..1 in each direction.
      seen.add(Array.from(c.data).join(','));
    }
    expect(seen.size).toBe(9);
    // The top-left crop of the padded image: a zero row and column, then the image.
    expect(seen.has('0,0,0,0,0,1,2,3,0,5,6,7,0,9,10,11')).toBe(true);
    expect(randomCrop([2, 3])(img).width).toBe(3);
    expect(() => randomCrop(6)(img)).toThrow(/larger than the padded image/);
  });

  it('compose chains transforms, and seeded transforms are reproducible', () => {
    const img = image(1, 8, 8);
    const make = () => compose([randomCrop(8, 2), randomHorizontalFlip(), normalize(0.5, 2)], { seed: 11 });
    const a = make();
    const b = make();
    for (let i = 0; i < 5; i++) expect(Array.from(a(img).data)).toEqual(Array.from(b(img).data));
    const other = compose([randomCrop(8, 2), randomHorizontalFlip(), normalize(0.5, 2)], { seed: 12 });
    const xs = Array.from({ length: 5 }, () => Array.from(make()(img).data).join());
    const ys = Array.from({ length: 5 }, () => Array.from(other(img).data).join());
    expect(xs).not.toEqual(ys);
    // With an explicit rng, the transform's own seed does not matter.
    expect(Array.from(a(img, new Rng(3)).data)).toEqual(Array.from(other(img, new Rng(3)).data));
  });
});
