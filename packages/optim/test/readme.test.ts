// Runs the README's example, so that it stays runnable.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, test, vi } from 'vitest';

test('the README example runs and fits y = 3x + 2', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1];
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.readme-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, block.replace("'@tensile/optim'", JSON.stringify(pathToFileURL(src).href)));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
    const [, w, , b, , lr] = log.mock.calls[0] as [string, number, string, number, string, number[]];
    expect(w).toBeCloseTo(3, 4);
    expect(b).toBeCloseTo(2, 4);
    expect(lr[0]).toBeCloseTo(0.00625, 10);
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});
