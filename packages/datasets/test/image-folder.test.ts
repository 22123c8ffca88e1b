import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { describe, expect, it } from 'vitest';
import { DataLoader, ImageFolder, centerCrop, compose, decodeImage, normalize, resize } from '../src/index.js';
import { withRecipe } from '../src/recipe.js';
import { scopeEachTest } from './helpers.js';

scopeEachTest();

interface ImageCase {
  name: string;
  mode: string;
  bytes: string;
  shape: [number, number, number];
  rgb: number[];
}
const images = JSON.parse(readFileSync(new URL('./fixtures/images.json', import.meta.url), 'utf8')) as ImageCase[];
const bytesOf = (c: ImageCase) => new Uint8Array(Buffer.from(c.bytes, 'base64'));
const worker = { imports: [new URL('./support/register-ts.mjs', import.meta.url).href] };

describe('decodeImage', () => {
  it.each(images.map((c) => [`${c.name} (${c.mode})`, c] as const))('decodes %s as PIL does', (_, c) => {
    const out = decodeImage(c.name, bytesOf(c));
    expect([out.height, out.width, out.channels]).toEqual(c.shape);
    expect(Array.from(out.data)).toEqual(c.rgb);
  });

  it('names the file and the problem', () => {
    const png = bytesOf(images.find((c) => c.name === 'rgb.png')!);
    const bad = png.slice();
    bad[40] ^= 0xff;
    expect(() => decodeImage('x.png', bad)).toThrow(/x.png: corrupt PNG: bad CRC in chunk/);
    expect(() => decodeImage('x.png', png.subarray(0, 60))).toThrow(/x.png: truncated data/);
    expect(() => decodeImage('cat.jpg', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0))).toThrow(/cat.jpg: cannot decode: a JPEG file\. Tensile decodes PNG, BMP and PPM\/PGM itself; for other formats pass a loader/);
    expect(() => decodeImage('notes.txt', new TextEncoder().encode('hello'))).toThrow(/not an image format Tensile recognises/);
    const interlaced = png.slice();
    interlaced[28] = 1; // IHDR's interlace byte, then its CRC
    new DataView(interlaced.buffer).setUint32(29, crc32(interlaced.subarray(12, 29)));
    expect(() => decodeImage('i.png', interlaced)).toThrow(/i.png: unsupported PNG: interlaced \(Adam7\) images are not decoded; pass a loader/);
  });
});

function tree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tensile-folder-'));
  const put = (rel: string, data: Uint8Array | string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), data);
  };
  const by = (name: string) => bytesOf(images.find((c) => c.name === name)!);
  put('dog/b.png', by('rgb.png'));
  put('dog/a.BMP', by('rgb.bmp'));
  put('dog/sub/c.ppm', by('rgb.ppm'));
  put('cat/x.png', by('gray.png'));
  put('cat/notes.txt', 'not an image');
  put('bird/z.pgm', by('gray.pgm'));
  put('README', 'a file, not a class');
  return root;
}

describe('ImageFolder', () => {
  it("finds classes and samples in torchvision's order, and reads items", () => {
    const root = tree();
    const ds = new ImageFolder(root);
    expect(ds.classes).toEqual(['bird', 'cat', 'dog']);
    expect(ds.classToIdx).toEqual({ bird: 0, cat: 1, dog: 2 });
    expect(ds.samples.map(([p, t]) => [path.relative(root, p), t])).toEqual([
      ['bird/z.pgm', 0],
      ['cat/x.png', 1],
      ['dog/a.BMP', 2],
      ['dog/b.png', 2],
      ['dog/sub/c.ppm', 2],
    ]);
    expect(ds.targets).toEqual([0, 1, 2, 2, 2]);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3);
    expect(x.shape).toEqual([3, 13, 16]);
    expect(y.itemSync()).toBe(2);
    const rgb = images.find((c) => c.name === 'rgb.png')!.rgb;
    expect(Math.round((x.dataSync()[13 * 16 + 2] as number) * 255)).toBe(rgb[2 * 3 + 1]); // green of pixel (0, 2)
  });

  it('applies transform, targetTransform, loader, extensions and isValidFile', async () => {
    const root = tree();
    const ds = new ImageFolder(root, { transform: compose([resize(6), centerCrop(5), normalize(0.5, 0.5)]), targetTransform: (t) => t * 10 });
    const [x, y] = ds.get(0);
    expect(x.shape).toEqual([3, 5, 5]);
    expect(y).toBe(0);
    const labels: number[] = [];
    for await (const [images, targets] of new DataLoader(ds, { batchSize: 2 })) {
      expect(images.shape.slice(1)).toEqual([3, 5, 5]);
      labels.push(...Array.from(targets.dataSync()));
    }
    expect(labels).toEqual([0, 10, 20, 20, 20]);
    const some = new ImageFolder(root, { extensions: ['.PNG', '.pgm'] });
    expect(some.samples.map(([p]) => path.basename(p))).toEqual(['z.pgm', 'x.png', 'b.png']);
    expect(() => new ImageFolder(root, { extensions: ['.pgm'] })).toThrow(/found no valid file for the classes cat, dog .*extensions \.pgm/);
    const loaded = new ImageFolder(root, { isValidFile: (f) => !f.endsWith('.txt'), loader: () => ({ data: new Uint8Array(12).fill(255), width: 2, height: 2, channels: 3 }) });
    expect(Array.from(loaded.get(0)[0].dataSync())).toEqual(new Array(12).fill(1));
    expect(() => new ImageFolder(root, { extensions: ['.png'], isValidFile: () => true })).toThrow(/pass extensions or isValidFile, not both/);
    expect(() => new ImageFolder(path.join(root, 'nope'))).toThrow(/ImageFolder: cannot read .*nope/);
    expect(() => new ImageFolder(path.join(root, 'dog', 'sub'))).toThrow(/couldn't find any class folder/);
    expect(() => new ImageFolder(root, { target_transform: () => 1 } as never)).toThrow(/did you mean targetTransform\?/);
    expect(() => new ImageFolder(undefined as never)).toThrow(/root must be a directory path, got undefined/);
  });

  it('follows symbolic links to class folders', () => {
    const root = tree();
    const other = mkdtempSync(path.join(tmpdir(), 'tensile-folder-'));
    symlinkSync(path.join(root, 'dog'), path.join(other, 'hound'));
    expect(new ImageFolder(other).samples.length).toBe(3);
  });

  it('loads in worker threads with the same items', async () => {
    const root = tree();
    const ds = new ImageFolder(root, { transform: compose([resize([4, 4]), normalize(0.5, 0.5)]) });
    const read = async (loader: DataLoader<[tl.Tensor, tl.Tensor]>) => {
      const out: number[][] = [];
      for await (const [x, y] of loader) out.push([...Array.from(x.dataSync()), ...Array.from(y.dataSync())]);
      return out;
    };
    const main = await read(new DataLoader(ds, { batchSize: 2, shuffle: true }));
    expect(await read(new DataLoader(ds, { batchSize: 2, shuffle: true, numWorkers: 2, worker }))).toEqual(main);
    const custom = new ImageFolder(root, { loader: () => ({ data: new Uint8Array(3), width: 1, height: 1 }) });
    await expect(read(new DataLoader(custom, { numWorkers: 1, worker }))).rejects.toThrow(/ImageFolder: the loader \(a function.*\) cannot be rebuilt in a worker thread/);
    const target = new ImageFolder(root, { targetTransform: withRecipe((t: number) => t + 100, () => ({ module: new URL('./support/worker-datasets.ts', import.meta.url).href, export: 'addHundred' })) });
    const labels: number[] = [];
    for await (const [, y] of new DataLoader(target, { batchSize: 5, numWorkers: 1, worker, collateFn: (items) => [null, items.map(([, t]) => t)] as const })) labels.push(...y);
    expect(labels).toEqual([100, 101, 102, 102, 102]);
  });
});
