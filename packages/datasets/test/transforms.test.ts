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
    // Misuse from plain JavaScript: a missing std, or values of the wrong kind.
    expect(() => (normalize as (mean: number) => unknown)(0.5)).toThrow(
      'normalize(mean, std): std should be a number or a list of numbers (one per channel), got undefined',
    );
    expect(() => normalize('0.5' as never, 0.5)).toThrow('normalize(mean, std): mean should be a number or a list of numbers (one per channel), got "0.5"');
    expect(() => normalize([0.5], [] as never)).toThrow('normalize(mean, std): std should be a number or a list of numbers (one per channel), got an array of 0');
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

describe('random transforms: distributions and seeded determinism', async () => {
  const tl = await import('@tensile/core');
  await import('@tensile/backend-cpu');
  const ds = await import('../src/index.js');
  const { functional: TF } = ds;
  const rgb = (h: number, w: number, seed = 1): ImageArray => {
    const r = new Rng(seed);
    return { data: Float32Array.from({ length: 3 * h * w }, () => r.float()), channels: 3, height: h, width: w };
  };
  const same = (a: ImageArray, b: ImageArray) => a.height === b.height && a.width === b.width && a.data.every((v, i) => v === b.data[i]);

  it('randomResizedCrop draws boxes within scale and ratio, falls back to a central crop, and resizes', () => {
    const rng = new Rng(0);
    let minFrac = 1;
    let maxFrac = 0;
    let logSum = 0;
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const [top, left, h, w] = ds.randomResizedCropParams(100, 120, [0.08, 1], [3 / 4, 4 / 3], rng);
      expect(top >= 0 && left >= 0 && top + h <= 100 && left + w <= 120).toBe(true);
      const frac = (h * w) / 12000;
      minFrac = Math.min(minFrac, frac);
      maxFrac = Math.max(maxFrac, frac);
      expect(frac).toBeGreaterThan(0.07);
      expect(frac).toBeLessThanOrEqual(1);
      const ratio = w / h;
      expect(ratio).toBeGreaterThan(0.7);
      expect(ratio).toBeLessThan(1.42);
      logSum += Math.log(ratio);
    }
    expect(minFrac).toBeLessThan(0.1);
    expect(maxFrac).toBeGreaterThan(0.9);
    expect(Math.abs(logSum / n)).toBeLessThan(0.03); // log-uniform about 0
    // Impossible boxes: ten tries fail, then the central crop clamped to the ratio range.
    expect(ds.randomResizedCropParams(10, 10, [0.9, 1], [5, 6], new Rng(1))).toEqual([4, 0, 2, 10]);
    expect(ds.randomResizedCropParams(10, 40, [0.95, 1], [0.1, 0.2], new Rng(1))).toEqual([0, 19, 10, 2]);
    // The transform is the functional resizedCrop of the drawn box.
    const img = rgb(20, 24);
    const t = ds.randomResizedCrop(8, { antialias: true });
    const out = t(img, new Rng(7));
    expect([out.channels, out.height, out.width]).toEqual([3, 8, 8]);
    const [top, left, h, w] = ds.randomResizedCropParams(20, 24, [0.08, 1], [3 / 4, 4 / 3], new Rng(7));
    expect(same(out, TF.resizedCrop(img, top, left, h, w, [8, 8], { antialias: true }))).toBe(true);
    expect(same(ds.randomResizedCrop(8, { seed: 3 })(img), ds.randomResizedCrop(8, { seed: 3 })(img))).toBe(true);
    expect(same(ds.randomResizedCrop(8, { seed: 3 })(img), ds.randomResizedCrop(8, { seed: 4 })(img))).toBe(false);
  });

  it('colorJitter draws factors in range and applies them in a random order', () => {
    const img = rgb(6, 7);
    const t = ds.colorJitter({ brightness: 0.5 });
    const factors: number[] = [];
    const rng = new Rng(2);
    for (let i = 0; i < 2000; i++) {
      const out = t(img, rng);
      // Brightness only: out = clamp(factor * img); read the factor off an unclamped pixel.
      const k = img.data.findIndex((v, j) => v > 0.2 && out.data[j] < 1);
      factors.push(out.data[k] / img.data[k]);
    }
    expect(Math.min(...factors)).toBeGreaterThanOrEqual(0.5 - 1e-6);
    expect(Math.max(...factors)).toBeLessThanOrEqual(1.5 + 1e-6);
    expect(Math.abs(factors.reduce((a, b) => a + b) / factors.length - 1)).toBeLessThan(0.02);
    expect(Math.min(...factors)).toBeLessThan(0.55);
    // Brightness and contrast: each output is one of the two orders of the two adjustments.
    const both = ds.colorJitter({ brightness: [0.6, 0.6], contrast: [1.8, 1.8] });
    const bc = TF.adjustContrast(TF.adjustBrightness(img, 0.6), 1.8);
    const cb = TF.adjustBrightness(TF.adjustContrast(img, 1.8), 0.6);
    expect(same(bc, cb)).toBe(false);
    let first = 0;
    const r2 = new Rng(5);
    for (let i = 0; i < 400; i++) {
      const out = both(img, r2);
      const isBc = same(out, bc);
      expect(isBc || same(out, cb)).toBe(true);
      if (isBc) first++;
    }
    expect(first / 400).toBeGreaterThan(0.4);
    expect(first / 400).toBeLessThan(0.6);
    expect(ds.colorJitter()(img)).toBe(img);
    expect(() => ds.colorJitter({ hue: 0.7 })).toThrow(/hue values should be between -0.5 and 0.5/);
    expect(() => ds.colorJitter({ brightness: -1 })).toThrow(/brightness is a single number, it must be non negative/);
    expect(() => ds.colorJitter({ contrast: [1.2, 0.8] })).toThrow(/contrast values should be between/);
    expect(() => ds.colorJitter({ gamma: 1 } as never)).toThrow(/unsupported option 'gamma'/);
  });

  it('randomRotation rotates by a uniform angle within the range, filling with 0', () => {
    const img = rgb(9, 11);
    expect(same(ds.randomRotation([30, 30])(img), TF.rotate(img, 30, { fill: 0 }))).toBe(true);
    const t = ds.randomRotation(20, { interpolation: 'bilinear' });
    for (let seed = 0; seed < 5; seed++) {
      const angle = new Rng(seed).uniform(-20, 20);
      expect(same(t(img, new Rng(seed)), TF.rotate(img, angle, { interpolation: 'bilinear', fill: 0 }))).toBe(true);
    }
    const angles = Array.from({ length: 4000 }, (_, s) => new Rng(s).uniform(-20, 20));
    expect(Math.min(...angles)).toBeGreaterThanOrEqual(-20);
    expect(Math.max(...angles)).toBeLessThan(20);
    expect(angles.filter((a) => a < 0).length / 4000).toBeCloseTo(0.5, 1);
    expect(same(ds.randomRotation(20, { seed: 1 })(img), ds.randomRotation(20, { seed: 1 })(img))).toBe(true);
    expect(() => ds.randomRotation(-5)).toThrow(/degrees is a single number, it must be positive/);
    expect(() => ds.randomRotation(5, { interpolation: 'bicubic' as never })(img)).toThrow(/interpolation must be 'nearest' or 'bilinear'/);
  });

  it('randomAffine translates by whole pixels within the fraction, both ways', () => {
    const img = rgb(10, 10);
    const t = ds.randomAffine(0, { translate: [0.2, 0.1] });
    const seen = new Set<string>();
    const rng = new Rng(9);
    for (let i = 0; i < 150; i++) {
      const out = t(img, rng);
      let match: string | null = null;
      for (let tx = -2; tx <= 2 && !match; tx++) for (let ty = -1; ty <= 1 && !match; ty++) if (same(out, TF.affine(img, 0, [tx, ty], 1, 0, { fill: 0 }))) match = `${tx},${ty}`;
      expect(match).not.toBeNull();
      seen.add(match!);
    }
    expect(seen.size).toBeGreaterThan(8);
    expect(() => ds.randomAffine(5, { translate: [1.5, 0] })).toThrow(/translation values should be between 0 and 1/);
    expect(() => ds.randomAffine(5, { shear: [1, 2, 3] })).toThrow(/shear should be a number or a list of 2 or 4 numbers/);
  });

  it('gaussianBlur, randomErasing, randomGrayscale, flips and the random containers', () => {
    const img = rgb(12, 12);
    const s = new Rng(4).uniform(0.1, 2);
    expect(same(ds.gaussianBlur(3)(img, new Rng(4)), TF.gaussianBlur(img, 3, s))).toBe(true);
    expect(() => ds.gaussianBlur(4)).toThrow(/kernel size should be an odd positive integer/);
    // randomErasing: one box, of an area within scale, holding the value.
    const erase = ds.randomErasing(1, { value: 7 });
    const r = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const out = erase(img, r);
      const count = out.data.filter((v) => v === 7).length / 3;
      expect(count / 144).toBeGreaterThan(0.01);
      expect(count / 144).toBeLessThan(0.4); // scale [0.02, 0.33], sides rounded
    }
    expect(ds.randomErasing(0)(img)).toBe(img);
    const noisy = ds.randomErasing(1, { value: 'random', scale: [0.3, 0.3], ratio: [1, 1] })(img, new Rng(2));
    expect(new Set(Array.from(noisy.data).filter((v, i) => v !== img.data[i])).size).toBeGreaterThan(10);
    let grays = 0;
    const rg = new Rng(3);
    const g = ds.randomGrayscale(0.3);
    for (let i = 0; i < 2000; i++) if (g(img, rg) !== img) grays++;
    expect(grays / 2000).toBeCloseTo(0.3, 1);
    expect(same(ds.randomGrayscale(1)(img), TF.rgbToGrayscale(img, 3))).toBe(true);
    expect(same(ds.randomVerticalFlip(1)(img), TF.vflip(img))).toBe(true);
    let applied = 0;
    const ra = ds.randomApply([ds.randomHorizontalFlip(1)], 0.25);
    const rr = new Rng(8);
    for (let i = 0; i < 2000; i++) if (ra(img, rr) !== img) applied++;
    expect(applied / 2000).toBeCloseTo(0.25, 1);
    const picks = [0, 0];
    const rc = ds.randomChoice([ds.randomHorizontalFlip(1), ds.randomVerticalFlip(1)], [1, 3]);
    for (let i = 0; i < 2000; i++) picks[same(rc(img, rr), TF.hflip(img)) ? 0 : 1]++;
    expect(picks[0] / 2000).toBeCloseTo(0.25, 1);
    const orders = new Set<string>();
    const ro = ds.randomOrder([ds.pad(1), ds.centerCrop(12)]);
    for (let i = 0; i < 50; i++) orders.add(String(ro(img, rr).height));
    expect(orders).toEqual(new Set(['12', '14']));
  });

  it('randomCrop pads as asked (padIfNeeded, modes) and crops the padded image', () => {
    const img = rgb(5, 6);
    const out = ds.randomCrop([8, 9], 0, { padIfNeeded: true })(img, new Rng(0));
    expect([out.height, out.width]).toEqual([8, 9]);
    const t = ds.randomCrop(5, [2, 1], { paddingMode: 'reflect' });
    const rng = new Rng(6);
    const padded = TF.pad(img, [2, 1], { paddingMode: 'reflect' });
    for (let i = 0; i < 20; i++) {
      const c = t(img, rng);
      let found = false;
      for (let top = 0; top <= padded.height - 5 && !found; top++) for (let left = 0; left <= padded.width - 5 && !found; left++) found = same(c, TF.crop(padded, top, left, 5, 5));
      expect(found).toBe(true);
    }
    expect(() => ds.randomCrop(4, -1)).toThrow(/padding must be non-negative/);
    expect(() => ds.randomCrop(4, 0, { pad_if_needed: true } as never)).toThrow(/did you mean padIfNeeded/);
  });

  it('works on tensors (and batches of them) as on image arrays, leaving no intermediates', () => {
    const img = rgb(16, 16);
    const augment = ds.compose([ds.randomResizedCrop(8), ds.randomHorizontalFlip(), ds.colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }), ds.randomRotation(10), ds.normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2])]);
    const host = augment(img, new Rng(11));
    const before = tl.memory().numTensors;
    const x = tl.tidy(() => tl.tensor(img.data).reshape([3, 16, 16]));
    const y = augment(x, new Rng(11));
    expect(y.shape).toEqual([3, 8, 8]);
    const d = y.dataSync();
    for (let i = 0; i < d.length; i++) expect(Math.abs(d[i] - host.data[i])).toBeLessThan(1e-4);
    x.dispose();
    y.dispose();
    expect(tl.memory().numTensors).toBe(before);
  });

  it('rejects what is not an image, and bad sizes, naming the function', () => {
    expect(() => TF.resize(5 as never, 3)).toThrow(/resize: expected an image \(an ImageArray \{ data: Float32Array, channels, height, width \} or a float32 tensor \[\.\.\., C, H, W\]\), got 5/);
    expect(() => TF.hflip(tl.ones([2, 2], { dtype: 'int32' }))).toThrow(/hflip: expected a float32 tensor image, got int32/);
    expect(() => TF.resize(rgb(4, 4), [0, 2])).toThrow(/size must be a positive integer/);
    expect(() => TF.resize(rgb(4, 4), [2, 2], { maxSize: 3 })).toThrow(/maxSize only applies when size gives the shorter side/);
    expect(() => TF.resize(rgb(4, 4), 3, { maxSize: 3 })).toThrow(/maxSize = 3 must be strictly greater/);
    expect(() => TF.resize(rgb(4, 4), 2, { interpolation: 'nearest', antialias: true })).toThrow(/antialias is supported for bilinear and bicubic/);
    expect(() => TF.resize(rgb(4, 4), 2, { interpolation: 'area' as never })).toThrow(/interpolation must be one of nearest, nearest-exact, bilinear, bicubic/);
    expect(() => TF.pad(rgb(4, 4), 4, { paddingMode: 'reflect' })).toThrow(/reflect padding of 4 needs a larger image side than 4/);
    expect(() => TF.pad(rgb(4, 4), [1, 2, 3])).toThrow(/padding must be an integer or a list of 1, 2 or 4 integers/);
    expect(() => TF.adjustHue(rgb(2, 2), 0.6)).toThrow(/hue factor \(0.6\) is not in \[-0.5, 0.5\]/);
    expect(() => TF.adjustContrast({ data: new Float32Array(8), channels: 2, height: 2, width: 2 }, 1)).toThrow(/expected an image with 1 or 3 channels, got 2/);
    expect(() => TF.normalize(rgb(2, 2), [0, 0], [1, 1])).toThrow(/mean has 2 values but the image has 3 channels/);
    expect(TF.resize(img4(), [4, 4])).toBe(img4cached);
    function img4() {
      return img4cached;
    }
  });
  const img4cached = rgb(4, 4);

  it('toTensor and toImageArray convert bytes in H x W x C order', () => {
    const pixels = { data: Uint8ClampedArray.from([255, 0, 0, 255, 0, 51, 0, 255]), width: 2, height: 1 }; // RGBA
    const x = TF.toTensor(pixels);
    expect(x.shape).toEqual([4, 1, 2]);
    expect(Array.from(x.dataSync()).map((v) => Math.round(v * 255))).toEqual([255, 0, 0, 51, 0, 0, 255, 255]);
    const arr = TF.toImageArray({ data: Uint8Array.from([10, 20, 30]), width: 1, height: 1, channels: 3 });
    expect(Array.from(arr.data).map((v) => Math.round(v * 255))).toEqual([10, 20, 30]);
    expect(ds.toTensor()(arr).shape).toEqual([3, 1, 1]);
    expect(() => TF.toTensor({ data: new Uint8Array(5), width: 2, height: 1 })).toThrow(/5 bytes do not make a 1 x 2 image/);
    expect(() => TF.toTensor('x' as never)).toThrow(/toTensor: expected an ImageArray/);
  });

  it('every transform has a worker recipe that rebuilds it', async () => {
    const { buildFromRecipe } = await import('../src/recipe.js');
    const img = rgb(10, 10);
    const augment = ds.compose([
      ds.randomCrop(8, 2, { paddingMode: 'edge' }),
      ds.randomApply([ds.colorJitter({ brightness: 0.3, hue: 0.1 })], 0.7),
      ds.randomChoice([ds.gaussianBlur(3), ds.randomErasing(1)]),
      ds.randomOrder([ds.randomVerticalFlip(), ds.randomAffine(5, { scale: [0.9, 1.1] })]),
      ds.resize(6),
      ds.centerCrop(5),
      ds.randomGrayscale(0.5),
      ds.randomRotation(5),
      ds.randomResizedCrop(4),
      ds.pad(1),
      ds.grayscale(3),
      ds.normalize(0.5, 0.25),
    ]);
    const rebuilt = (await buildFromRecipe(await augment.workerRecipe())) as typeof augment;
    for (let seed = 0; seed < 5; seed++) expect(same(rebuilt(img, new Rng(seed)), augment(img, new Rng(seed)))).toBe(true);
  });
});
