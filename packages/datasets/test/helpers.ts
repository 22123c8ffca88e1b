/** Locating the shared MNIST / Fashion-MNIST files for tests. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import { afterEach, beforeEach } from 'vitest';

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
