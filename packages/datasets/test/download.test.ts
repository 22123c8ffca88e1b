import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import '@tensile/backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MNIST, downloadFile, downloadFromMirrors } from '../src/index.js';
import { haveSharedData, sharedDataDir } from './helpers.js';

const payload = new Uint8Array(200_000).map((_, i) => (i * 31 + 7) & 0xff);
const sha256 = createHash('sha256').update(payload).digest('hex');
const md5 = createHash('md5').update(payload).digest('hex');
const hasData = haveSharedData();

let server: http.Server;
let base: string;
let requests = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests++;
    const url = req.url ?? '/';
    if (url === '/file.bin' || url.startsWith('/wrong/')) {
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    } else if (url === '/broken.bin') {
      // Promise the whole file, send part of it, then cut the connection.
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 50_000), () => setTimeout(() => res.socket?.destroy(), 20));
    } else if (url.startsWith('/mnist/') && hasData) {
      const file = path.join(sharedDataDir(), 'mnist', path.basename(url));
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      const bytes = readFileSync(file);
      res.writeHead(200, { 'content-length': bytes.length });
      res.end(bytes);
    } else {
      res.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'tensile-dl-'));

describe('downloadFile (against a local server)', () => {
  it('downloads and verifies a file', async () => {
    const dir = tempDir();
    const dest = path.join(dir, 'sub', 'file.bin');
    await downloadFile(`${base}/file.bin`, dest, { sha256, md5, progress: false });
    expect(new Uint8Array(readFileSync(dest))).toEqual(payload);
    expect(readdirSync(path.dirname(dest))).toEqual(['file.bin']); // no temp file left
  });

  it('a checksum mismatch leaves no cache file', async () => {
    const dir = tempDir();
    const dest = path.join(dir, 'file.bin');
    await expect(downloadFile(`${base}/file.bin`, dest, { sha256: '0'.repeat(64), progress: false })).rejects.toThrow(
      /file\.bin .*checksum mismatch: sha256 is [0-9a-f]{64}, expected 0{64}; the download was discarded/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an interrupted transfer leaves no cache file', async () => {
    const dir = tempDir();
    const dest = path.join(dir, 'file.bin');
    await expect(downloadFile(`${base}/broken.bin`, dest, { sha256, progress: false })).rejects.toThrow(
      /download of .*broken\.bin failed: (the connection broke after \d+ of 200000 bytes|truncated)/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('HTTP errors name the status; mirrors are tried in order', async () => {
    const dir = tempDir();
    const dest = path.join(dir, 'file.bin');
    await expect(downloadFile(`${base}/missing.bin`, dest, { progress: false })).rejects.toThrow(/HTTP 404/);
    await downloadFromMirrors([`${base}/missing.bin`, `${base}/file.bin`], dest, { sha256, progress: false });
    expect(readFileSync(dest).length).toBe(payload.length);
    await expect(downloadFromMirrors([`${base}/missing.bin`, `${base}/broken.bin`], path.join(dir, 'x.bin'), { progress: false })).rejects.toThrow(
      /could not download x\.bin:\n.*HTTP 404 Not Found\n.*broken\.bin failed/,
    );
    expect(readdirSync(dir)).toEqual(['file.bin']);
  });

  it('downloads with the progress bar on (stderr)', async () => {
    const dest = path.join(tempDir(), 'file.bin');
    await downloadFile(`${base}/file.bin`, dest, { sha256, progress: true });
    expect(existsSync(dest)).toBe(true);
  });
});

describe.runIf(hasData)('MNIST.load({ download: true }) against a local mirror', () => {
  it('downloads into the cache, verifies, then loads from the cache without the network', async () => {
    const cacheDir = tempDir();
    const before = requests;
    const test = await MNIST.load({ train: false, download: true, cacheDir, mirrors: [`${base}/mnist/`], progress: false });
    expect(test.length).toBe(10000);
    expect(requests - before).toBe(2);
    expect(readdirSync(path.join(cacheDir, 'mnist')).sort()).toEqual(['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    const again = await MNIST.load({ train: false, download: true, cacheDir, mirrors: [`${base}/mnist/`] });
    expect(again.labels[0]).toBe(7);
    expect(requests - before).toBe(2);
  });

  it('a mirror serving the wrong bytes leaves nothing in the cache', async () => {
    const cacheDir = tempDir();
    await expect(MNIST.load({ train: false, download: true, cacheDir, mirrors: [`${base}/nothing/`, `${base}/wrong/`], progress: false })).rejects.toThrow(
      /could not download t10k-images-idx3-ubyte\.gz:\n.*HTTP 404\n?.*\n.*checksum mismatch/,
    );
    expect(existsSync(path.join(cacheDir, 'mnist')) ? readdirSync(path.join(cacheDir, 'mnist')) : []).toEqual([]);
  });
});
