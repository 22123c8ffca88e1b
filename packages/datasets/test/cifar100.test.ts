import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import '@tensile/backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR100, CIFAR100_RECORD_BYTES, DataLoader } from '../src/index.js';
import { expectImageSample, isolateDataEnvironment, scopeEachTest, tarArchive } from './helpers.js';

scopeEachTest();

const pixel = (r: number, c: number, y: number, x: number) => (r * 11 + c * 60 + y * 7 + x) & 0xff;

/** Records in the documented format: <1 x coarse label><1 x fine label><3072 x pixel>. */
function records(labels: [number, number][], offset = 0): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR100_RECORD_BYTES);
  labels.forEach(([coarse, fine], r) => {
    const at = r * CIFAR100_RECORD_BYTES;
    out[at] = coarse;
    out[at + 1] = fine;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + 2 + c * 1024 + y * 32 + x] = pixel(r + offset, c, y, x);
  });
  return out;
}

const TRAIN: [number, number][] = [[4, 0], [1, 1], [14, 2], [8, 3]];
const TEST: [number, number][] = [[10, 49], [19, 99]];

function folder(): Map<string, Uint8Array> {
  return new Map([
    ['train.bin', records(TRAIN)],
    ['test.bin', records(TEST, 100)],
  ]);
}

isolateDataEnvironment('tensile-cache-');

describe('CIFAR100 binary reader', () => {
  it('reads fine labels as item labels, coarse labels beside them, and the class names', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tensile-cifar100-'));
    mkdirSync(path.join(root, 'cifar-100-binary'));
    for (const [name, data] of folder()) writeFileSync(path.join(root, 'cifar-100-binary', name), data);
    const train = await CIFAR100.load({ root });
    const test = await CIFAR100.load({ root, train: false });
    expect(train.length).toBe(4);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3]);
    expect(Array.from(train.coarseLabels)).toEqual([4, 1, 14, 8]);
    expect(train.classes).toHaveLength(100);
    expect(train.classes.slice(0, 4)).toEqual(['apple', 'aquarium_fish', 'baby', 'bear']);
    expect(test.classes[99]).toBe('worm');
    expect(train.coarseClasses[train.coarseLabels[0]]).toBe('fruit_and_vegetables');
    expect(train.coarseClasses).toHaveLength(20);
    const image = expectImageSample(test.get(1), [3, 32, 32], 99);
    const v = image.dataSync();
    expect(v[1024 + 3 * 32 + 5]).toBeCloseTo(pixel(101, 1, 3, 5) / 255, 6);
    const labels: number[] = [];
    for await (const [x, y] of new DataLoader(train, { batchSize: 3 })) {
      expect(x.shape.slice(1)).toEqual([3, 32, 32]);
      labels.push(...Array.from(y.dataSync()));
    }
    expect(labels).toEqual([0, 1, 2, 3]);
    // Names files, when present, are read.
    const names = Array.from({ length: 100 }, (_, i) => `class${i}`).join('\n');
    writeFileSync(path.join(root, 'cifar-100-binary', 'fine_label_names.txt'), `${names}\n\n`);
    expect((await CIFAR100.load({ root })).classes[7]).toBe('class7');
  });

  it('rejects damaged files by name', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'tensile-cifar100-'));
    mkdirSync(path.join(root, 'cifar-100-binary'));
    writeFileSync(path.join(root, 'cifar-100-binary', 'train.bin'), records(TRAIN).subarray(0, CIFAR100_RECORD_BYTES + 5));
    await expect(CIFAR100.load({ root })).rejects.toThrow(/train.bin: truncated data: 3079 bytes is not a whole number of 3074-byte CIFAR-100 records/);
    const bad = records([[20, 3]]);
    writeFileSync(path.join(root, 'cifar-100-binary', 'train.bin'), bad);
    await expect(CIFAR100.load({ root })).rejects.toThrow(/bad coarse label 20 in record 0/);
    await expect(CIFAR100.load({ root, train: false })).rejects.toThrow(/CIFAR100 \(test\): files not found: test.bin/);
  });
});

describe('CIFAR100 download (local server)', () => {
  const good = gzipSync(tarArchive([['cifar-100-binary/', null], ...[...folder()].map(([n, d]): [string, Uint8Array] => [`cifar-100-binary/${n}`, d])]));
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/m/cifar-100-binary.tar.gz') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': good.length }).end(good);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('checks the published md5, and extracts a verified archive into the cache', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'tensile-cifar100-cache-'));
    await expect(CIFAR100.load({ download: true, cacheDir, mirrors: [base], progress: false })).rejects.toThrow(/checksum mismatch: md5 is [0-9a-f]{32}, expected 03b5dce01913d631647c71ecec9e9cb8/);
    expect(existsSync(path.join(cacheDir, 'cifar-100-binary'))).toBe(false);
    const md5 = createHash('md5').update(good).digest('hex');
    const train = await CIFAR100.load({ download: true, cacheDir, mirrors: [base], progress: false, checksums: { 'cifar-100-binary.tar.gz': { md5 } } });
    expect(Array.from(train.coarseLabels)).toEqual([4, 1, 14, 8]);
    expect(existsSync(path.join(cacheDir, 'cifar-100-binary', 'test.bin'))).toBe(true);
    expect(existsSync(path.join(cacheDir, 'cifar-100-binary.tar.gz'))).toBe(false);
  });
});
