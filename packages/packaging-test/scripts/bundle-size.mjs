// Bundle sizes as a browser user would get them: esbuild, minified ESM for the browser,
// from the packages' TypeScript sources (the @tensile/source condition, so no build is
// needed; the published dist/ is the same code compiled by tsc). Prints a table, or JSON
// with --json.
//
//   node packages/packaging-test/scripts/bundle-size.mjs [--json]
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const ENTRIES = {
  'tensor + add + backend-cpu': [
    "import { tensor, add } from '@tensile/core';",
    "import '@tensile/backend-cpu';",
    'console.log(add(tensor([1, 2]), tensor([3, 4])).dataSync());',
  ],
  'all of core + backend-cpu': ["import * as tl from '@tensile/core';", "import '@tensile/backend-cpu';", 'globalThis.tl = tl;'],
  'all of core + nn + optim + backend-cpu': [
    "import * as tl from '@tensile/core';",
    "import * as nn from '@tensile/nn';",
    "import * as optim from '@tensile/optim';",
    "import '@tensile/backend-cpu';",
    'globalThis.t = { tl, nn, optim };',
  ],
};

/** { name: { minified, gzip } } in bytes. */
export async function measure() {
  const sizes = {};
  for (const [name, lines] of Object.entries(ENTRIES)) {
    const result = await build({
      stdin: { contents: lines.join('\n'), resolveDir: here, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@tensile/source'],
      write: false,
      logLevel: 'silent',
    });
    const bytes = result.outputFiles[0].contents;
    sizes[name] = { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await measure();
  if (process.argv.includes('--json')) console.log(JSON.stringify(sizes));
  else for (const [name, s] of Object.entries(sizes)) console.log(`${name.padEnd(40)} ${(s.minified / 1024).toFixed(1).padStart(7)} KB min  ${(s.gzip / 1024).toFixed(1).padStart(6)} KB min+gzip`);
}
