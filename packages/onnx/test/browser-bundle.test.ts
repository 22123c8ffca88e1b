// The package bundles for the browser: no module reachable from src/index.ts imports a Node
// builtin through a literal specifier (`import x from 'node:fs'`, `import('node:fs')`), which
// bundlers such as esbuild try to resolve for a browser build and refuse. Reading paths uses
// variable specifiers (see load.ts); examples/onnx-finetune bundles the package with esbuild
// and runs it in Chromium.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** The .ts files reachable from `entry` through relative imports and re-exports. */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      visit(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    }
  };
  visit(entry);
  return [...seen];
}

describe('browser bundles', () => {
  it('no module of the package imports a Node builtin by a literal specifier', () => {
    const files = reachable(path.join(src, 'index.ts'));
    expect(files.map((f) => path.relative(src, f))).toContain('load.ts');
    const offending: string[] = [];
    for (const file of files) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        // Type positions (`typeof import('node:fs')`, `import type`) are erased and fine.
        const literal = /(?<!typeof\s*)\bimport\s*\(\s*['"]node:/.test(line) || /^\s*(?:import|export)\s+(?!type\b)[^;]*\bfrom\s+['"]node:/.test(line);
        if (literal) offending.push(`${path.relative(src, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offending).toEqual([]);
  });
});
