// Bundle the page with esbuild into dist/ (see ../../shared/bundle-page.mjs): index.html,
// style.css, app.js and backend-wasm's kernels.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundlePage } from '../../shared/bundle-page.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function build({ quiet = false } = {}) {
  return bundlePage({ esbuild, root, entryPoints: { app: 'src/page.ts' }, pages: ['index.html', 'style.css'], quiet });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build();
}
