// Runs the README's examples, so that they stay runnable.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { expect, test, vi } from 'vitest';

/** Run the first ts block after `heading` and return what it logged. */
async function runExample(heading: string): Promise<unknown[][]> {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const at = readme.indexOf(`${heading}\n`);
  expect(at, `README has a '${heading}' section`).toBeGreaterThanOrEqual(0);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))![1];
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.readme-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, block.replace("'@tensile/optim'", JSON.stringify(pathToFileURL(src).href)));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
    return log.mock.calls;
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the README example runs and fits y = 3x + 2', async () => {
  const [, w, , b, , lr] = (await runExample('## Example'))[0] as [string, number, string, number, string, number[]];
  expect(w).toBeCloseTo(3, 4);
  expect(b).toBeCloseTo(2, 4);
  expect(lr[0]).toBeCloseTo(0.00625, 10);
});

test('the README LBFGS example runs and solves y = 3x + 2 in one step', async () => {
  const [, w, , b, , first, second] = (await runExample('## Example: full batch with LBFGS'))[0] as [
    string, number, string, number, string, number, number,
  ];
  expect(w).toBeCloseTo(3, 4);
  expect(b).toBeCloseTo(2, 4);
  // mean((3x + 2)^2) over linspace(-1, 1, 32): 9 * mean(x^2) + 4, with mean(x^2) = 33 / 93.
  expect(first).toBeCloseTo(4 + (9 * 33) / 93, 5);
  expect(second).toBeLessThan(1e-8);
});

const webgpuUnavailable = (await backendUnavailable('webgpu')) ?? (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'"));
test.skipIf(webgpuUnavailable !== null)(`the README mixed-precision example trains on webgpu${webgpuUnavailable ? ` (skipped: ${webgpuUnavailable})` : ''}`, async () => {
  const lines = (await runExample('## Mixed precision: `GradScaler` with `tl.autocast`')) as [string, number, string, number, string, number][];
  expect(lines.map((l) => l[1])).toEqual([0, 50, 100]);
  const losses = lines.map((l) => l[3]);
  expect(losses[2]).toBeLessThan(losses[0] * 0.5);
  for (const l of lines) expect(l[5]).toBe(65536); // 101 clean steps: no overflow, no growth yet
});
