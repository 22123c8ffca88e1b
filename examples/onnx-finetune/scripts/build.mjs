// Bundle the page with esbuild into dist/: index.html, style.css, app.js, and backend-wasm's
// kernels next to app.js (the wasm backend finds them with new URL('./tensile-*.wasm',
// import.meta.url), which esbuild does not copy).
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = join(root, 'dist');

export async function build({ quiet = false } = {}) {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  await esbuild.build({
    entryPoints: { app: join(root, 'src/page.ts') },
    outdir: dist,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@tensile/source'],
    sourcemap: true,
    minify: true,
    logLevel: quiet ? 'error' : 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(root, 'src', file), join(dist, file));
  const wasmDir = join(root, 'node_modules/@tensile/backend-wasm/dist');
  const kernels = existsSync(wasmDir) ? readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')) : [];
  for (const file of kernels) copyFileSync(join(wasmDir, file), join(dist, file));
  if (kernels.length === 0 && !quiet) {
    console.warn('note: @tensile/backend-wasm has no built kernels (pnpm --filter @tensile/backend-wasm build); the page can still use webgpu or cpu');
  }
  if (!quiet) console.log(`built ${dist}`);
  return dist;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build();
}
