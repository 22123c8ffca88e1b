// Builds the two wasm variants from assembly/ with the AssemblyScript compiler that
// `pnpm install` brings: SIMD128, and SIMD128 + relaxed SIMD. Output: dist/*.wasm, next to
// dist/loader.js, which finds them with new URL('./tensile-*.wasm', import.meta.url).
import { main } from 'assemblyscript/asc';
import { mkdirSync, statSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
mkdirSync(outDir, { recursive: true });

const sources = readdirSync(join(root, 'assembly')).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'assembly', f));
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);

// Shared-memory builds for the worker pool, and unshared ones for engines without
// SharedArrayBuffer (browser pages that are not cross-origin isolated).
const variants = [
  { file: 'tensile-simd.wasm', features: 'simd,threads', shared: true },
  { file: 'tensile-relaxed.wasm', features: 'simd,threads,relaxed-simd', shared: true },
  { file: 'tensile-simd-single.wasm', features: 'simd', shared: false },
  { file: 'tensile-relaxed-single.wasm', features: 'simd,relaxed-simd', shared: false },
];

for (const { file, features, shared } of variants) {
  const out = join(outDir, file);
  if (existsSync(out) && statSync(out).mtimeMs >= newest && !process.argv.includes('--force')) continue;
  const { error, stderr } = await main([
    join(root, 'assembly', 'index.ts'),
    '--outFile', out,
    '-O3', '--noAssert',
    '--runtime', 'stub',
    '--importMemory', ...(shared ? ['--sharedMemory'] : []), '--initialMemory', '256', '--maximumMemory', '65536',
    '--enable', features,
    '--use', 'abort=',
  ]);
  if (error) {
    console.error(stderr.toString());
    throw new Error(`backend-wasm: building ${file} failed: ${error.message}`);
  }
  console.log(`backend-wasm: built dist/${file} (${statSync(out).size} bytes)`);
}
