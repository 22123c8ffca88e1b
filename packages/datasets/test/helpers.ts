/** Locating the shared MNIST / Fashion-MNIST files for tests. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, expect } from 'vitest';
import { concatBytes } from '../src/decode.js';

/** The monorepo root: the nearest ancestor holding pnpm-workspace.yaml. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('tests: could not find the repository root (pnpm-workspace.yaml)');
    dir = parent;
  }
  return dir;
}

/** `TENSILE_DATA`, else `../shared/data` beside the checkout. */
export function sharedDataDir(): string {
  return process.env.TENSILE_DATA ? path.resolve(process.env.TENSILE_DATA) : path.resolve(repoRoot(), '../shared/data');
}

/**
 * Whether the real data is present. In CI (`CI` set) a missing directory is an error, never a
 * silent skip; locally the tests that need it are skipped with a message.
 */
export function haveSharedData(): boolean {
  const dir = sharedDataDir();
  const ok = existsSync(path.join(dir, 'mnist', 'train-images-idx3-ubyte.gz'));
  if (ok) return true;
  const message =
    `the MNIST / Fashion-MNIST files were not found in ${dir}; put them there (see DESIGN.md, Data) ` +
    `or set TENSILE_DATA to the directory containing mnist/ and fashion-mnist/`;
  if (process.env.CI) throw new Error(`tests: ${message}`);
  console.warn(`skipping the tests that read real data: ${message}`);
  return false;
}

/**
 * Run every test of the calling file inside its own `tl.tidy` scope: tensors a test makes
 * and forgets are disposed when it ends, instead of lingering until garbage collection
 * (which would change `tl.memory()` counts in the middle of a later test).
 */
export function scopeEachTest(): void {
  let release: (() => void) | null = null;
  let closed: Promise<void> | null = null;
  beforeEach(() => {
    closed = tl.tidy(() => new Promise<void>((resolve) => (release = resolve)));
  });
  afterEach(async () => {
    release?.();
    await closed;
  });
}

/**
 * Check a vision dataset's `get(i)`: a float32 image of `shape` and a scalar int32 label whose
 * value is `label`. Returns the image, for checks of its pixels.
 */
export function expectImageSample([image, target]: [tl.Tensor, tl.Tensor], shape: number[], label: number): tl.Tensor {
  expect(image.shape).toEqual(shape);
  expect(image.dtype).toBe('float32');
  expect(target.shape).toEqual([]);
  expect(target.dtype).toBe('int32');
  expect(target.itemSync()).toBe(label);
  return image;
}

/** A ustar archive of `entries` (a `null` body is a directory), as GNU tar writes one. */
export function tarArchive(entries: [string, Uint8Array | null][]): Uint8Array {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  for (const [name, data] of entries) {
    const h = new Uint8Array(512);
    const field = (at: number, text: string) => h.set(enc.encode(text), at);
    const size = data ? data.length : 0;
    field(0, name);
    field(100, data ? '0000644\0' : '0000755\0');
    field(108, '0001750\0');
    field(116, '0001750\0');
    field(124, size.toString(8).padStart(11, '0') + '\0');
    field(136, '14533351205\0');
    field(148, '        ');
    h[156] = (data ? '0' : '5').charCodeAt(0);
    field(257, 'ustar\0');
    field(263, '00');
    field(148, h.reduce((a, v) => a + v, 0).toString(8).padStart(6, '0') + '\0 ');
    blocks.push(h);
    if (data) {
      const padded = new Uint8Array(Math.ceil(size / 512) * 512);
      padded.set(data);
      blocks.push(padded);
    }
  }
  blocks.push(new Uint8Array(1024));
  return concatBytes(blocks);
}

/**
 * Isolate every test of the calling file from the user's environment and cache: no
 * `TENSILE_DATA`, and a fresh `TENSILE_CACHE` folder named from `cachePrefix`; both are
 * restored after each test.
 */
export function isolateDataEnvironment(cachePrefix: string): void {
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = { TENSILE_DATA: process.env.TENSILE_DATA, TENSILE_CACHE: process.env.TENSILE_CACHE };
    delete process.env.TENSILE_DATA;
    process.env.TENSILE_CACHE = mkdtempSync(path.join(tmpdir(), cachePrefix));
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
