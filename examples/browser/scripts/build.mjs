// Bundle the pages with esbuild into dist/ (see ../../shared/bundle-page.mjs): the MNIST page
// (index.html → app.js) and the text-generation page (generate.html → generate.js).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundlePage } from '../../shared/bundle-page.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function build({ quiet = false } = {}) {
  return bundlePage({ esbuild, root, entryPoints: { app: 'src/main.ts', generate: 'src/generate.ts' }, pages: ['index.html', 'generate.html', 'style.css'], quiet });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build();
}
