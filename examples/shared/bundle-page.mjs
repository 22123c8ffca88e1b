// The esbuild step the browser examples share: bundle a page's entry points into dist/ with
// its HTML and CSS, and copy backend-wasm's kernels next to the scripts. The wasm backend
// finds them with new URL('./tensile-*.wasm', import.meta.url): Vite and webpack copy such
// files themselves, esbuild does not. The browser export conditions give builds without
// node: imports. esbuild comes from the calling example's own dependencies.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Build `entryPoints` (name → file under `root`) and copy `pages` from src/ into `root`/dist; resolves to dist. */
export async function bundlePage({ esbuild, root, entryPoints, pages, quiet = false }) {
  const dist = join(root, 'dist');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, file]) => [name, join(root, file)])),
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
  for (const file of pages) copyFileSync(join(root, 'src', file), join(dist, file));

  // The wasm kernels, from the installed @tensile/backend-wasm's dist/.
  const wasmDir = join(root, 'node_modules/@tensile/backend-wasm/dist');
  const kernels = existsSync(wasmDir) ? readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')) : [];
  for (const file of kernels) copyFileSync(join(wasmDir, file), join(dist, file));
  if (kernels.length === 0 && !quiet) {
    console.warn('note: @tensile/backend-wasm has no built kernels (pnpm --filter @tensile/backend-wasm build); the page can still use webgpu or cpu');
  }
  if (!quiet) console.log(`built ${dist}`);
  return dist;
}
