// Loading from a hub repo id against a local server on 127.0.0.1 that speaks the hub's
// protocol: /{repo}/resolve/{revision}/{file}, small files with a git-blob-sha1 etag, the
// safetensors file behind a redirect with its sha256 in x-linked-etag, Range requests.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, GPT2LMHeadModel } from '../src/index.js';
import { fixture, haveFixtures } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;

interface Seen {
  method: string;
  url: string;
  range?: string;
}

let server: http.Server;
let endpoint = '';
const seen: Seen[] = [];
/** Behaviour switches for the next requests. */
const mode = { breakAfter: 0, corrupt: false };

function gitSha1(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

beforeAll(async () => {
  if (!haveFixtures) return;
  const dir = fixture('gpt2');
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push({ method: req.method ?? 'GET', url, range: req.headers.range });
    const cdn = /^\/cdn\/(.+)$/.exec(url);
    const resolve = /^\/tiny\/gpt2\/resolve\/(main|v1)\/(.+)$/.exec(url);
    const file = cdn ? cdn[1] : resolve?.[2];
    const full = file ? path.join(dir, file) : '';
    if (!file || !existsSync(full) || file === 'expected.json') {
      res.writeHead(404).end('Entry not found');
      return;
    }
    let bytes = readFileSync(full);
    const large = file.endsWith('.safetensors');
    if (resolve && large) {
      // LFS: the hub answers with its sha256 and redirects to a CDN.
      res.writeHead(302, { location: `/cdn/${file}`, 'x-linked-etag': `"${createHash('sha256').update(bytes).digest('hex')}"`, 'x-linked-size': bytes.length });
      res.end();
      return;
    }
    if (mode.corrupt && large) bytes = Buffer.from(bytes.map((b, i) => (i === bytes.length - 1 ? b ^ 1 : b)));
    const headers: Record<string, string | number> = { etag: `"${gitSha1(bytes)}"`, 'accept-ranges': 'bytes' };
    if (large) delete headers.etag;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) start = Number(range[1]);
    const body = bytes.subarray(start);
    if (range) {
      res.writeHead(206, { ...headers, 'content-length': body.length, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': body.length });
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (large && mode.breakAfter > 0) {
      const cut = mode.breakAfter;
      mode.breakAfter = 0;
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
});

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

run('fromPretrained from a hub repo id (local server)', () => {
  it('downloads into the cache with checksums, then loads from the cache without the network', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'tensile-hub-'));
    try {
      seen.length = 0;
      const model = await GPT2LMHeadModel.fromPretrained('tiny/gpt2', { endpoint, cacheDir, progress: false, dtype: 'float32', logger: null });
      const local = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { dtype: 'float32', logger: null });
      const ids = tl.tensor([[1, 2, 3]], { dtype: 'int32' });
      expect(model.forward(ids).logits.dataSync()).toEqual(local.forward(ids).logits.dataSync());
      const snapshot = path.join(cacheDir, 'hub', 'models--tiny--gpt2', 'snapshots', 'main');
      expect(files(snapshot)).toEqual(['config.json', 'generation_config.json', 'model.safetensors']);
      expect(seen.some((s) => s.url.startsWith('/cdn/model.safetensors'))).toBe(true);
      const tok = await AutoTokenizer.fromPretrained('tiny/gpt2', { endpoint, cacheDir, progress: false });
      expect(tok.decode(tok.encode('hello world'))).toBe('hello world');

      seen.length = 0;
      const again = await GPT2LMHeadModel.fromPretrained('tiny/gpt2', { endpoint, cacheDir, progress: false, dtype: 'float32', logger: null });
      expect(seen).toEqual([]);
      expect(again.forward(ids).logits.dataSync()).toEqual(local.forward(ids).logits.dataSync());
      const offline = await GPT2LMHeadModel.fromPretrained('tiny/gpt2', { endpoint: 'http://127.0.0.1:9', cacheDir, localFilesOnly: true, logger: null });
      expect(offline.config.n_embd).toBe(32);
      await expect(
        GPT2LMHeadModel.fromPretrained('tiny/gpt2', { cacheDir, revision: 'v2', localFilesOnly: true, logger: null }),
      ).rejects.toThrow(/not in the cache.*localFilesOnly/);
      for (const m of [model, local, again, offline]) m.dispose();
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('resumes a broken download with a Range request', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'tensile-hub-'));
    try {
      mode.breakAfter = 40_000;
      await expect(
        GPT2LMHeadModel.fromPretrained('tiny/gpt2', { endpoint, cacheDir, revision: 'v1', progress: false, logger: null }),
      ).rejects.toThrow(/model\.safetensors.*(connection|ended).*resume/);
      const snapshot = path.join(cacheDir, 'hub', 'models--tiny--gpt2', 'snapshots', 'v1');
      const partial = path.join(snapshot, 'model.safetensors.incomplete');
      expect(statSync(partial).size).toBe(40_000);
      seen.length = 0;
      const model = await GPT2LMHeadModel.fromPretrained('tiny/gpt2', { endpoint, cacheDir, revision: 'v1', progress: false, logger: null });
      expect(seen.find((s) => s.url === '/cdn/model.safetensors' && s.method === 'GET')?.range).toBe('bytes=40000-');
      expect(existsSync(partial)).toBe(false);
      expect(readFileSync(path.join(snapshot, 'model.safetensors'))).toEqual(readFileSync(path.join(fixture('gpt2'), 'model.safetensors')));
      model.dispose();
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('discards a download whose sha256 differs from the hub\'s, and names missing files', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'tensile-hub-'));
    try {
      mode.corrupt = true;
      await expect(
        GPT2LMHeadModel.fromPretrained('tiny/gpt2', { endpoint, cacheDir, progress: false, logger: null }),
      ).rejects.toThrow(/model\.safetensors.*checksum mismatch: sha256 is [0-9a-f]{64}, the hub says [0-9a-f]{64}; the download was discarded/);
      const snapshot = path.join(cacheDir, 'hub', 'models--tiny--gpt2', 'snapshots', 'main');
      expect(files(snapshot).filter((f) => f.includes('safetensors'))).toEqual([]);
      mode.corrupt = false;
      await expect(AutoTokenizer.fromPretrained('tiny/nothing', { endpoint, cacheDir, progress: false })).rejects.toThrow(/no tokenizer\.json|404/);
      await expect(GPT2LMHeadModel.fromPretrained('tiny/nothing', { endpoint, cacheDir, progress: false })).rejects.toThrow(/config\.json.*tiny\/nothing.*404/);
      await expect(GPT2LMHeadModel.fromPretrained('../etc', { endpoint, cacheDir })).rejects.toThrow(/neither an existing directory nor a hub repo id/);
    } finally {
      mode.corrupt = false;
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
