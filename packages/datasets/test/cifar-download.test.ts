/**
 * CIFAR10.load({ download: true }) end to end against a local HTTP server: a tiny synthetic
 * cifar-10-binary.tar.gz in the real layout, downloaded into a temporary cache, verified,
 * extracted and read; never the network.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import '@tensile/backend-cpu';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CIFAR10, CIFAR_RECORD_BYTES } from '../src/index.js';
import { expectImageSample, isolateDataEnvironment, scopeEachTest, tarArchive } from './helpers.js';

scopeEachTest();

const ARCHIVE = 'cifar-10-binary.tar.gz';
const FOLDER = 'cifar-10-batches-bin';
const REAL_SHA256 = 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd';

// ---- a synthetic archive in the real layout --------------------------------------------------

/** Pixel (channel c, row y, column x) of record r in batch b (test batch: b = 0). */
const pixel = (b: number, r: number, c: number, y: number, x: number) => (b * 41 + r * 13 + c * 70 + y * 5 + x * 3) & 0xff;
/** Labels per batch: train batches 1-5 hold 2 records, the test batch 3. */
const LABELS: Record<string, number[]> = {
  'data_batch_1.bin': [6, 9],
  'data_batch_2.bin': [9, 4],
  'data_batch_3.bin': [1, 1],
  'data_batch_4.bin': [2, 7],
  'data_batch_5.bin': [8, 3],
  'test_batch.bin': [3, 8, 0],
};
const batchIndex = (name: string) => (name === 'test_batch.bin' ? 0 : Number(/(\d)\.bin$/.exec(name)![1]));

function batchFile(name: string): Uint8Array {
  const labels = LABELS[name];
  const b = batchIndex(name);
  const out = new Uint8Array(labels.length * CIFAR_RECORD_BYTES);
  labels.forEach((label, r) => {
    const at = r * CIFAR_RECORD_BYTES;
    out[at] = label;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) out[at + 1 + c * 1024 + y * 32 + x] = pixel(b, r, c, y, x);
  });
  return out;
}

const META = 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n';

function archive(change: (files: Map<string, Uint8Array>) => void = () => {}): Uint8Array {
  const files = new Map<string, Uint8Array>();
  for (const name of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) {
    files.set(name, batchFile(name));
  }
  files.set('batches.meta.txt', new TextEncoder().encode(META));
  change(files);
  return gzipSync(tarArchive([[`${FOLDER}/`, null], ...[...files].map(([n, d]): [string, Uint8Array] => [`${FOLDER}/${n}`, d])]));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const good = archive();
const corrupt = new Uint8Array(good); // a copy (Buffer#slice would be a view)
corrupt[corrupt.length >> 1] ^= 0xff;
const noBatch3 = archive((f) => f.delete('data_batch_3.bin'));
const truncated = archive((f) => f.set('data_batch_2.bin', f.get('data_batch_2.bin')!.subarray(0, 2 * CIFAR_RECORD_BYTES - 27)));
const sums = (bytes: Uint8Array) => ({ [ARCHIVE]: { sha256: sha256(bytes) } });

// ---- the server ------------------------------------------------------------------------------

const ROUTES: Record<string, Uint8Array> = { good, corrupt, 'no-batch-3': noBatch3, truncated };
let server: http.Server;
let base: string;
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(url);
    const [, route, file] = url.split('/');
    const body = ROUTES[route];
    if (!body || file !== ARCHIVE) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/x-gzip' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

isolateDataEnvironment('tensile-cifar-env-cache-');
afterEach(() => {
  vi.restoreAllMocks();
});

const tempCache = () => mkdtempSync(path.join(tmpdir(), 'tensile-cifar-cache-'));

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function hitsDuring<T>(run: () => Promise<T>): Promise<{ value: T; requests: string[] }> {
  const before = hits.length;
  return run().then((value) => ({ value, requests: hits.slice(before) }));
}

/** The message of the error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

// ---- tests -------------------------------------------------------------------------------------

describe('CIFAR10.load({ download: true }) against a local server', () => {
  it('downloads with progress, verifies, extracts into the cache, and reads the right images and labels', async () => {
    const cacheDir = tempCache();
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const { value: train, requests } = await hitsDuring(() =>
      CIFAR10.load({ download: true, cacheDir, mirrors: [`${base}/good/`], checksums: sums(good) }),
    );
    vi.restoreAllMocks();
    expect(requests).toEqual([`/good/${ARCHIVE}`]);
    const progress = stderr.join('');
    expect(progress).toMatch(new RegExp(`downloading ${ARCHIVE.replace(/\./g, '\\.')} \\[#+\\] 100% .* done`));
    // Extracted into the cache; the archive and any temporary files are gone.
    expect(listFiles(cacheDir)).toEqual(
      ['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'].map((f) =>
        path.join(FOLDER, f),
      ),
    );
    expect(train.files).toEqual([1, 2, 3, 4, 5].map((b) => path.join(cacheDir, FOLDER, `data_batch_${b}.bin`)));

    // 5 batches of 2, in batch order.
    expect(train.length).toBe(10);
    expect(Array.from(train.labels)).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect(train.images.length).toBe(10 * 3072);
    expect(train.classes[train.labels[1]]).toBe('truck');
    const image = expectImageSample(train.get(5), [3, 32, 32], 1); // batch 3, record 1
    const v = image.dataSync() as Float32Array;
    for (const [c, y, x] of [[0, 0, 0], [1, 5, 7], [2, 31, 31], [0, 17, 30]]) {
      expect(v[c * 1024 + y * 32 + x]).toBeCloseTo(pixel(3, 1, c, y, x) / 255, 6);
    }
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    const [x, y] = train.getBatch([0, 9]);
    expect(x.shape).toEqual([2, 3, 32, 32]);
    expect(Array.from(y.dataSync())).toEqual([6, 3]);
    expect((x.dataSync() as Float32Array)[3072 + 1024 + 32 * 2 + 3]).toBeCloseTo(pixel(5, 1, 1, 2, 3) / 255, 6);

    // The test split and a second train load come from the cache: no request.
    const { value: test, requests: later } = await hitsDuring(async () => {
      const t = await CIFAR10.load({ train: false, download: true, cacheDir, mirrors: [`${base}/good/`], checksums: sums(good) });
      await CIFAR10.load({ download: true, cacheDir, mirrors: [`${base}/good/`], progress: false });
      return t;
    });
    expect(later).toEqual([]);
    expect(test.length).toBe(3);
    expect(Array.from(test.labels)).toEqual([3, 8, 0]);
    const [t2] = test.get(2);
    expect((t2.dataSync() as Float32Array)[2048 + 31 * 32]).toBeCloseTo(pixel(0, 2, 2, 31, 0) / 255, 6);
  });

  it('uses TENSILE_CACHE when no cacheDir is given', async () => {
    const cache = process.env.TENSILE_CACHE!;
    const test = await CIFAR10.load({ train: false, download: true, mirrors: [`${base}/good/`], checksums: sums(good), progress: false });
    expect(test.files).toEqual([path.join(cache, FOLDER, 'test_batch.bin')]);
  });

  it('rejects a corrupted archive naming the file and both hashes, leaving nothing in the cache', async () => {
    const cacheDir = tempCache();
    const message = await failure(
      CIFAR10.load({ download: true, cacheDir, mirrors: [`${base}/corrupt/`], checksums: sums(good), progress: false }),
    );
    expect(message).toContain(`could not download ${ARCHIVE}`);
    expect(message).toContain(`${ARCHIVE} (from ${base}/corrupt/${ARCHIVE}): checksum mismatch: sha256 is ${sha256(corrupt)}, expected ${sha256(good)}`);
    expect(message).toContain('the download was discarded');
    expect(listFiles(cacheDir)).toEqual([]);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('checks downloads against the official checksum by default', async () => {
    const cacheDir = tempCache();
    const message = await failure(CIFAR10.load({ download: true, cacheDir, mirrors: [`${base}/good/`], progress: false }));
    expect(message).toContain(`checksum mismatch: sha256 is ${sha256(good)}, expected ${REAL_SHA256}`);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('an unreachable server: a clear error saying how to provide the files by hand', async () => {
    // A port with nothing listening: bind one, then close it.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const cacheDir = tempCache();
    const url = `http://127.0.0.1:${port}/${ARCHIVE}`;
    const message = await failure(CIFAR10.load({ download: true, cacheDir, mirrors: [`http://127.0.0.1:${port}/`], progress: false }));
    expect(message).toMatch(/^CIFAR10: could not download cifar-10-binary\.tar\.gz:/);
    expect(message).toContain(`download of ${url} failed: connect ECONNREFUSED`);
    expect(message).toContain(`To provide the files manually, download ${url} yourself`);
    expect(message).toContain(`{ root: '/path/to/data' } or TENSILE_DATA`);
    expect(message).toContain(path.join(cacheDir, ARCHIVE));
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('an archive missing a batch file: a clear error, and nothing extracted', async () => {
    const cacheDir = tempCache();
    const message = await failure(
      CIFAR10.load({ train: false, download: true, cacheDir, mirrors: [`${base}/no-batch-3/`], checksums: sums(noBatch3), progress: false }),
    );
    expect(message).toBe(
      `CIFAR10: ${path.join(cacheDir, ARCHIVE)}: missing files: the archive has no ${FOLDER}/data_batch_3.bin (the downloaded archive was removed)`,
    );
    expect(listFiles(cacheDir)).toEqual([]);
  });

  it('an archive with a truncated batch file: a clear error, and nothing extracted', async () => {
    const cacheDir = tempCache();
    const message = await failure(
      CIFAR10.load({ train: false, download: true, cacheDir, mirrors: [`${base}/truncated/`], checksums: sums(truncated), progress: false }),
    );
    const bytes = 2 * CIFAR_RECORD_BYTES - 27;
    expect(message).toContain(`${path.join(cacheDir, ARCHIVE)}: ${FOLDER}/data_batch_2.bin: truncated data: ${bytes} bytes is not a whole number`);
    expect(message).toContain('(1 records and 3046 bytes left over)');
    expect(listFiles(cacheDir)).toEqual([]);
  });

  it('an archive put in the cache by hand is extracted without a request; a bad one is reported and kept', async () => {
    const cacheDir = tempCache();
    writeFileSync(path.join(cacheDir, ARCHIVE), good);
    const { value: test, requests } = await hitsDuring(() =>
      CIFAR10.load({ train: false, download: true, cacheDir, mirrors: [`${base}/good/`], checksums: sums(good), progress: false }),
    );
    expect(requests).toEqual([]);
    expect(test.length).toBe(3);
    expect(existsSync(path.join(cacheDir, ARCHIVE))).toBe(false);

    const other = tempCache();
    writeFileSync(path.join(other, ARCHIVE), corrupt);
    const { value: message, requests: none } = await hitsDuring(() =>
      failure(CIFAR10.load({ train: false, download: true, cacheDir: other, mirrors: [`${base}/good/`], checksums: sums(good), progress: false })),
    );
    expect(none).toEqual([]);
    expect(message).toContain(`${path.join(other, ARCHIVE)}: checksum mismatch: sha256 is ${sha256(corrupt)}, expected ${sha256(good)}`);
    expect(message).toContain(`delete ${path.join(other, ARCHIVE)} and load again`);
    expect(listFiles(other)).toEqual([ARCHIVE]);
  });

  it('without download, the error names the mirror it would use', async () => {
    const cacheDir = tempCache();
    mkdirSync(path.join(cacheDir, FOLDER));
    const message = await failure(CIFAR10.load({ train: false, cacheDir, mirrors: [`${base}/good/`] }));
    expect(message).toContain(`or pass { download: true } to fetch them from ${base}/good/${ARCHIVE}`);
  });
});
