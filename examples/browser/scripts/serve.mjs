// A tiny static server on 127.0.0.1: the built pages (dist/) at /, the MNIST .gz files at
// /mnist/, and checkpoint folders at /models/ when given one. `node scripts/serve.mjs [--data DIR] [--port N]`; DIR defaults to
// ../../../shared/data/mnist (beside the checkout) or $TENSILE_DATA/mnist.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveFolders, serveOnFreePort } from '../../shared/static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export function defaultDataDir() {
  if (process.env.TENSILE_DATA) return resolve(process.env.TENSILE_DATA, 'mnist');
  return resolve(here, '../../../../shared/data/mnist');
}

/**
 * Serve `distDir` at /, `dataDir` at /mnist/ and `modelsDir` (if given) at /models/; resolves
 * to { server, url }. `isolated` makes the page cross-origin isolated (wasm's worker threads);
 * the data may be fetched by a page served from another port (?data=...).
 */
export function serve({ distDir = resolve(here, '../dist'), dataDir = defaultDataDir(), modelsDir, port = 0, isolated = false } = {}) {
  return serveFolders({ roots: roots(distDir, dataDir, modelsDir), port, isolated, cors: true });
}

const roots = (distDir, dataDir, modelsDir) => [['/mnist/', dataDir], ...(modelsDir ? [['/models/', modelsDir]] : []), ['/', distDir]];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { data: { type: 'string' }, models: { type: 'string' }, port: { type: 'string', default: '8080' }, isolated: { type: 'boolean', default: false } } });
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const dataDir = values.data ? resolve(cwd, values.data) : defaultDataDir();
  const modelsDir = values.models ? resolve(cwd, values.models) : undefined;
  const distDir = resolve(here, '../dist');
  if (!existsSync(join(distDir, 'app.js'))) {
    console.error('dist/ is not built: run `pnpm --filter @tensile/example-browser build` first');
    process.exit(1);
  }
  if (!existsSync(join(dataDir, 'train-images-idx3-ubyte.gz'))) {
    console.warn(`warning: no MNIST files in ${dataDir} (pass --data DIR holding train-images-idx3-ubyte.gz etc.)`);
  }
  const { url } = await serveOnFreePort({ roots: roots(distDir, dataDir, modelsDir), port: Number(values.port), isolated: values.isolated, cors: true });
  console.log(`serving ${distDir} and MNIST from ${dataDir}${modelsDir ? `, checkpoints from ${modelsDir}` : ''}`);
  console.log(`open ${url}?data=${url}mnist/   (Ctrl-C to stop)`);
  if (modelsDir) console.log(`text generation: ${url}generate.html?model=${url}models/NAME/   (NAME: a folder in ${modelsDir})`);
}
