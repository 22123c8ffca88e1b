import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DataLoader, FashionMNIST, KNOWN_FILES, MNIST, normalize } from '../src/index.js';
import { expectImageSample, haveSharedData, isolateDataEnvironment, scopeEachTest, sharedDataDir } from './helpers.js';

scopeEachTest();

const hasData = haveSharedData();
const data = sharedDataDir();

isolateDataEnvironment('tensile-cache-');

describe.runIf(hasData)('MNIST and Fashion-MNIST from the shared data', () => {
  it('the shared files have the known checksums', () => {
    const file = path.join(data, 'mnist', 't10k-labels-idx1-ubyte.gz');
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(KNOWN_FILES.mnist.test[1].sha256);
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe('f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6');
  });

  it('reads MNIST train and test: counts, first labels, pixel range', async () => {
    const train = await MNIST.load({ root: data, train: true });
    const test = await MNIST.load({ root: data, train: false });
    expect(train.length).toBe(60000);
    expect(test.length).toBe(10000);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    const image = expectImageSample(train.get(0), [1, 28, 28], 5);
    const pixels = image.dataSync() as Float32Array;
    expect(Math.min(...pixels)).toBe(0);
    expect(Math.max(...pixels)).toBe(1);
    // A known pixel: row 14 of the first training image.
    expect(Math.round(pixels[14 * 28 + 10] * 255)).toBe(train.images[14 * 28 + 10]);
    // The whole training set lies in [0, 255] bytes with a mean near 33.3 (0.1307 * 255).
    let sum = 0;
    for (const v of train.images) sum += v;
    expect(sum / train.images.length / 255).toBeCloseTo(0.1307, 3);
  });

  it('builds a batch in one go, identical to the stacked items', async () => {
    const test = await MNIST.load({ root: data, train: false });
    const [x, y] = test.getBatch([3, 0, 9999]);
    expect(x.shape).toEqual([3, 1, 28, 28]);
    expect(Array.from(y.dataSync())).toEqual([0, 7, test.labels[9999]]);
    const [item] = test.get(9999);
    expect(Array.from(x.dataSync().subarray(2 * 784))).toEqual(Array.from(item.dataSync()));
  });

  it('finds the files through TENSILE_DATA (the parent of mnist/)', async () => {
    process.env.TENSILE_DATA = data;
    const test = await MNIST.load({ train: false });
    expect(test.files[0]).toBe(path.join(data, 'mnist', 't10k-images-idx3-ubyte.gz'));
  });

  it('reads Fashion-MNIST', async () => {
    const train = await FashionMNIST.load({ root: data });
    const test = await FashionMNIST.load({ root: data, train: false });
    expect(train.length).toBe(60000);
    expect(test.length).toBe(10000);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(test.classes[test.labels[0]]).toBe('Ankle boot');
  });

  it('applies a transform (normalize) to items and batches', async () => {
    const test = await MNIST.load({ root: data, train: false, transform: normalize(0.1307, 0.3081) });
    const [x] = test.getBatch([0]);
    const v = x.dataSync() as Float32Array;
    expect(v[0]).toBeCloseTo(-0.1307 / 0.3081, 5);
    expect(Math.max(...v)).toBeCloseTo((1 - 0.1307) / 0.3081, 5);
  });

  it('a full epoch of DataLoader over MNIST test keeps memory flat', async () => {
    const test = await MNIST.load({ root: data, train: false });
    const loader = new DataLoader(test, { batchSize: 1000, shuffle: true, seed: 1 });
    const base = tl.memory().numTensors;
    let seen = 0;
    let labelSum = 0;
    for await (const [x, y] of loader) {
      expect(x.shape.slice(1)).toEqual([1, 28, 28]);
      seen += y.size;
      for (const l of y.dataSync()) labelSum += l;
    }
    expect(seen).toBe(10000);
    expect(labelSum).toBe(test.labels.reduce((a, b) => a + b, 0));
    expect(tl.memory().numTensors).toBe(base);
  });
});

// ---- errors: synthetic files in a temporary root ------------------------------------------

function idx(magic: number, dims: number[], body: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setInt32(0, magic, false);
  dims.forEach((d, i) => header.setInt32(4 + 4 * i, d, false));
  return new Uint8Array([...new Uint8Array(header.buffer), ...body]);
}

function tempRoot(files: Record<string, Uint8Array>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tensile-mnist-'));
  mkdirSync(path.join(root, 'mnist'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(root, 'mnist', name), bytes);
  return root;
}

const images = (n: number, magic = 2051, bodyCount = n) => gzipSync(idx(magic, [n, 28, 28], new Uint8Array(bodyCount * 784)));
const labels = (n: number, magic = 2049) => gzipSync(idx(magic, [n], new Uint8Array(n)));

describe('MNIST errors', () => {
  it('offline with no files: lists the missing files and how to pass a directory', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'tensile-empty-'));
    const error = await MNIST.load({ root: empty, train: false }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/t10k-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz/);
    expect(message).toContain(path.join(empty, 'mnist'));
    expect(message).toMatch(/root/);
    expect(message).toMatch(/TENSILE_DATA/);
    expect(message).toMatch(/download: true/);
  });

  it('bad magic number', async () => {
    const root = tempRoot({ 't10k-images-idx3-ubyte.gz': images(2, 2049), 't10k-labels-idx1-ubyte.gz': labels(2) });
    await expect(MNIST.load({ root, train: false })).rejects.toThrow(/t10k-images-idx3-ubyte\.gz: bad magic number 2049.*expected 2051/);
  });

  it('truncated data', async () => {
    const root = tempRoot({ 't10k-images-idx3-ubyte.gz': images(3, 2051, 2), 't10k-labels-idx1-ubyte.gz': labels(3) });
    await expect(MNIST.load({ root, train: false })).rejects.toThrow(/t10k-images-idx3-ubyte\.gz: truncated data/);
  });

  it('wrong count between images and labels', async () => {
    const root = tempRoot({ 't10k-images-idx3-ubyte.gz': images(3), 't10k-labels-idx1-ubyte.gz': labels(4) });
    await expect(MNIST.load({ root, train: false, verify: false })).rejects.toThrow(/wrong count: .* has 3 images but .* has 4 labels/);
  });

  it('gzip error: a truncated or non-gzip file', async () => {
    const whole = images(5);
    const root = tempRoot({ 't10k-images-idx3-ubyte.gz': whole.subarray(0, whole.length - 20), 't10k-labels-idx1-ubyte.gz': labels(5) });
    await expect(MNIST.load({ root, train: false })).rejects.toThrow(/t10k-images-idx3-ubyte\.gz: gzip error/);
    const root2 = tempRoot({ 't10k-images-idx3-ubyte.gz': new Uint8Array([1, 2, 3]), 't10k-labels-idx1-ubyte.gz': labels(5) });
    await expect(MNIST.load({ root: root2, train: false })).rejects.toThrow(/gzip error: not a gzip file/);
  });

  it('checksum mismatch for a well-formed file that is not the official one; verify: false accepts it', async () => {
    const root = tempRoot({ 't10k-images-idx3-ubyte.gz': images(4), 't10k-labels-idx1-ubyte.gz': labels(4) });
    await expect(MNIST.load({ root, train: false })).rejects.toThrow(/t10k-images-idx3-ubyte\.gz: checksum mismatch: sha256/);
    const ds = await MNIST.load({ root, train: false, verify: false });
    expect(ds.length).toBe(4);
  });

  it.runIf(hasData)('a copied real file with one flipped byte fails', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tensile-flip-'));
    copyFileSync(path.join(data, 'mnist', 't10k-labels-idx1-ubyte.gz'), path.join(root, 't10k-labels-idx1-ubyte.gz'));
    copyFileSync(path.join(data, 'mnist', 't10k-images-idx3-ubyte.gz'), path.join(root, 't10k-images-idx3-ubyte.gz'));
    const file = path.join(root, 't10k-labels-idx1-ubyte.gz');
    const bytes = readFileSync(file);
    bytes[bytes.length - 12] ^= 0xff; // inside the deflate stream / crc
    writeFileSync(file, bytes);
    await expect(MNIST.load({ root, train: false })).rejects.toThrow(/t10k-labels-idx1-ubyte\.gz: (gzip error|checksum mismatch|bad label)/);
  });
});
