import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import '@tensile/backend-cpu';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CIFAR10, CIFAR_RECORD_BYTES, DataLoader, DatasetFilesMissingError, compose, randomCrop, randomHorizontalFlip, tarEntries } from '../src/index.js';
import { expectImageSample, scopeEachTest } from './helpers.js';

scopeEachTest();

/** Records in the documented binary format: <1 x label><3072 x pixel> (1024 R, 1024 G, 1024 B; 32x32 row-major). */
function batchFile(labels: number[], pixel: (record: number, channel: number, y: number, x: number) => number): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR_RECORD_BYTES);
  labels.forEach((label, r) => {
    const at = r * CIFAR_RECORD_BYTES;
    out[at] = label;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + 1 + c * 1024 + y * 32 + x] = pixel(r, c, y, x);
  });
  return out;
}

const pixel = (r: number, c: number, y: number, x: number) => (r * 7 + c * 50 + y * 3 + x) & 0xff;

function cifarRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tensile-cifar-'));
  const dir = path.join(root, 'cifar-10-batches-bin');
  mkdirSync(dir);
  for (let b = 1; b <= 5; b++) writeFileSync(path.join(dir, `data_batch_${b}.bin`), batchFile([b, b + 1, 9 - b], (r, c, y, x) => pixel(r + 10 * b, c, y, x)));
  writeFileSync(path.join(dir, 'test_batch.bin'), batchFile([3, 8], pixel));
  return root;
}

let saved: string | undefined;
beforeEach(() => {
  saved = process.env.TENSILE_DATA;
  delete process.env.TENSILE_DATA;
});
afterEach(() => {
  if (saved !== undefined) process.env.TENSILE_DATA = saved;
});

describe('CIFAR10 binary reader', () => {
  it('reads the train and test batches in order as [3, 32, 32] images', async () => {
    const root = cifarRoot();
    const train = await CIFAR10.load({ root, train: true, cacheDir: root });
    const test = await CIFAR10.load({ root, train: false, cacheDir: root });
    expect(train.length).toBe(15);
    expect(Array.from(train.labels)).toEqual([1, 2, 8, 2, 3, 7, 3, 4, 6, 4, 5, 5, 5, 6, 4]);
    expect(test.length).toBe(2);
    expect(test.classes[test.labels[1]]).toBe('ship');
    const image = expectImageSample(test.get(1), [3, 32, 32], 8);
    const v = image.dataSync();
    expect(v[0]).toBeCloseTo(pixel(1, 0, 0, 0) / 255, 6); // red, (0, 0)
    expect(v[1024 + 5 * 32 + 7]).toBeCloseTo(pixel(1, 1, 5, 7) / 255, 6); // green, (5, 7)
    expect(v[2048 + 31 * 32 + 31]).toBeCloseTo(pixel(1, 2, 31, 31) / 255, 6); // blue, (31, 31)
    // Also found when root is the batches folder itself.
    const direct = await CIFAR10.load({ root: path.join(root, 'cifar-10-batches-bin'), train: false, cacheDir: root });
    expect(direct.length).toBe(2);
  });

  it('batches with augmentation through a DataLoader, reproducibly', async () => {
    const root = cifarRoot();
    const augment = compose([randomCrop(32, 4), randomHorizontalFlip()]);
    const train = await CIFAR10.load({ root, transform: augment, cacheDir: root });
    const run = async () => {
      const out: number[] = [];
      for await (const [x, y] of new DataLoader(train, { batchSize: 4, shuffle: true, seed: 3 })) {
        expect(x.shape.slice(1)).toEqual([3, 32, 32]);
        expect(y.dtype).toBe('int32');
        out.push(...Array.from(x.dataSync()).slice(0, 200));
      }
      return out;
    };
    expect(await run()).toEqual(await run());
  });

  it('reports truncated files, bad labels and missing files', async () => {
    const root = cifarRoot();
    const dir = path.join(root, 'cifar-10-batches-bin');
    writeFileSync(path.join(dir, 'test_batch.bin'), batchFile([1, 2], pixel).subarray(0, CIFAR_RECORD_BYTES + 100));
    await expect(CIFAR10.load({ root, train: false, cacheDir: root })).rejects.toThrow(
      /test_batch\.bin: truncated data: 3173 bytes is not a whole number of 3073-byte CIFAR-10 records/,
    );
    writeFileSync(path.join(dir, 'test_batch.bin'), batchFile([1, 42], pixel));
    await expect(CIFAR10.load({ root, train: false, cacheDir: root })).rejects.toThrow(/test_batch\.bin: bad label 42 in record 1/);
    const empty = mkdtempSync(path.join(tmpdir(), 'tensile-cifar-empty-'));
    await expect(CIFAR10.load({ root: empty, cacheDir: empty })).rejects.toThrow(
      /CIFAR10 \(train\): files not found: data_batch_1\.bin, .*data_batch_5\.bin[\s\S]*download: true/,
    );
    // The error carries what a command line needs for its own hint.
    const missing = await CIFAR10.load({ root: empty, cacheDir: empty }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DatasetFilesMissingError);
    expect(missing).toMatchObject({ code: 'ERR_TENSILE_DATA_MISSING', dataset: 'CIFAR10', cacheDir: empty, files: expect.arrayContaining(['data_batch_1.bin']) });
    expect((missing as DatasetFilesMissingError).looked).toContain(path.join(empty, 'cifar-10-batches-bin'));
  });
});

describe('tarEntries', () => {
  it('lists the regular files of a ustar archive', () => {
    const header = (name: string, size: number, type = '0') => {
      const h = new Uint8Array(512);
      h.set(new TextEncoder().encode(name), 0);
      h.set(new TextEncoder().encode(size.toString(8).padStart(11, '0') + '\0'), 124);
      h[156] = type.charCodeAt(0);
      h.set(new TextEncoder().encode('ustar\0'), 257);
      return h;
    };
    const body = new Uint8Array(600).fill(7);
    const parts = [header('cifar-10-batches-bin/', 0, '5'), header('cifar-10-batches-bin/test_batch.bin', 600), body, new Uint8Array(424), new Uint8Array(1024)];
    const archive = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      archive.set(p, at);
      at += p.length;
    }
    const entries = [...tarEntries('a.tar', archive)];
    expect(entries.map((e) => e.name)).toEqual(['cifar-10-batches-bin/test_batch.bin']);
    expect(entries[0].data).toEqual(body);
    expect(() => [...tarEntries('b.tar', archive.subarray(0, 900))]).toThrow(/b\.tar: truncated data/);
    expect(() => [...tarEntries('c.tar', archive.subarray(0, 1300))]).toThrow(/c\.tar: truncated data: tar entry/);
  });
});
