// Builds the wasm variants from assembly/ with the AssemblyScript compiler that
// `pnpm install` brings: SIMD128, and SIMD128 + relaxed SIMD. Output: dist/*.wasm, next to
// dist/loader.js, which finds them with new URL('./tensile-*.wasm', import.meta.url) (so
// bundlers copy them); and build/kernels.d.ts, the compiler's typings of the module's
// exports (src/device.ts takes its `Kernels` type from them, so host calls are checked
// against the kernels' signatures).
import { main } from 'assemblyscript/asc';
import { mkdirSync, statSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist');
const typingsDir = join(root, 'build');
mkdirSync(outDir, { recursive: true });
mkdirSync(typingsDir, { recursive: true });

const assembly = join(root, 'assembly');
const sources = readdirSync(assembly, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => join(assembly, f));
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
const typings = join(typingsDir, 'kernels.d.ts');

// Shared-memory builds for the worker pool, and unshared ones for engines without
// SharedArrayBuffer (browser pages that are not cross-origin isolated). Every variant has
// the same exports; the first one writes the typings.
const variants = [
  { file: 'tensile-simd.wasm', features: 'simd,threads', shared: true, typings: true },
  { file: 'tensile-relaxed.wasm', features: 'simd,threads,relaxed-simd', shared: true },
  { file: 'tensile-simd-single.wasm', features: 'simd', shared: false },
  { file: 'tensile-relaxed-single.wasm', features: 'simd,relaxed-simd', shared: false },
];

const upToDate = (file) => existsSync(file) && statSync(file).mtimeMs >= newest && !process.argv.includes('--force');

for (const variant of variants) {
  const out = join(outDir, variant.file);
  if (upToDate(out) && (!variant.typings || upToDate(typings))) continue;
  const { error, stderr } = await main([
    join(assembly, 'index.ts'),
    '--outFile', out,
    '-O3', '--noAssert',
    '--runtime', 'stub',
    '--importMemory', ...(variant.shared ? ['--sharedMemory'] : []), '--initialMemory', '256', '--maximumMemory', '65536',
    '--enable', variant.features,
    '--use', 'abort=',
    ...(variant.typings ? ['--bindings', 'raw'] : []),
  ]);
  if (error) {
    console.error(stderr.toString());
    throw new Error(`backend-wasm: building ${variant.file} failed: ${error.message}`);
  }
  if (variant.typings) {
    // Only the typings are wanted: the backend instantiates the module itself.
    const base = out.replace(/\.wasm$/, '');
    renameSync(`${base}.d.ts`, typings);
    rmSync(`${base}.js`);
  }
  console.log(`backend-wasm: built dist/${variant.file} (${statSync(out).size} bytes)`);
}
