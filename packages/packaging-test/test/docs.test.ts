/**
 * The API reference (`pnpm docs`, TypeDoc over every published package) builds without errors
 * and has a page for each package, so a broken doc comment or entry point fails CI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const out = mkdtempSync(join(tmpdir(), 'tensile-docs-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('pnpm docs builds the API reference with no errors and a page per published package', () => {
  // typedoc exits non-zero on any error (a broken entry point, an invalid link).
  try {
    // What `pnpm docs` runs (the root's typedoc and typedoc.json), into a scratch folder.
    execFileSync(join(root, 'node_modules', '.bin', 'typedoc'), ['--out', out], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const { stdout, stderr } = e as { stdout: string; stderr: string };
    throw new Error(`typedoc failed:\n${stdout}\n${stderr}`);
  }
  const pages = readdirSync(join(out, 'modules'));
  for (const p of ['core', 'backend-cpu', 'backend-wasm', 'backend-webgpu', 'backend-cuda', 'nn', 'optim', 'datasets', 'transformers']) {
    expect(pages).toContain(`_tensile_${p}.html`);
  }
  expect(existsSync(join(out, 'documents'))).toBe(true); // getting-started and the PyTorch differences
}, 600_000);
