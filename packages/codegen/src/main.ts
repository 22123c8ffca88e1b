/** `pnpm generate`: write every generated device file from core's op table and plans. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUTPUTS } from './outputs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

for (const { path, render } of OUTPUTS) {
  const target = join(root, path);
  const text = render();
  let current: string | null = null;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a new file
  }
  if (current === text) {
    console.log(`unchanged ${path}`);
    continue;
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote     ${path}`);
}
