// A tiny static server on 127.0.0.1: the built pages (dist/) at /, the MNIST .gz files at
// /mnist/, and checkpoint folders at /models/ when given one. `node scripts/serve.mjs [--data DIR] [--port N]`; DIR defaults to
// ../../../shared/data/mnist (beside the checkout) or $TENSILE_DATA/mnist.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.gz': 'application/gzip',
  '.json': 'application/json',
};

export function defaultDataDir() {
  if (process.env.TENSILE_DATA) return resolve(process.env.TENSILE_DATA, 'mnist');
  return resolve(here, '../../../../shared/data/mnist');
}

/**
 * Serve `distDir` at /, `dataDir` at /mnist/ and `modelsDir` (if given) at /models/; resolves to { server, url }. `isolated`
 * adds the COOP/COEP headers that make the page cross-origin isolated, which browsers
 * require for SharedArrayBuffer and so for wasm's worker threads.
 */
export function serve({ distDir = resolve(here, '../dist'), dataDir = defaultDataDir(), modelsDir, port = 0, isolated = false } = {}) {
  const roots = [
    ['/mnist/', dataDir],
    ...(modelsDir ? [['/models/', modelsDir]] : []),
    ['/', distDir],
  ];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    for (const [prefix, dir] of roots) {
      if (!path.startsWith(prefix)) continue;
      let file = resolve(dir, `.${sep}${path.slice(prefix.length)}`);
      if (file !== dir && !file.startsWith(dir + sep)) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file)) break;
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
        // The data may be fetched by a page served from another port (?data=...).
        'Access-Control-Allow-Origin': '*',
        ...(isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
      });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/`;
      resolvePromise({ server, url });
    });
  });
}

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
  const { url } = await serve({ distDir, dataDir, modelsDir, port: Number(values.port), isolated: values.isolated }).catch((error) => {
    if (error.code !== 'EADDRINUSE') throw error;
    console.warn(`port ${values.port} is in use; taking a free one`);
    return serve({ distDir, dataDir, modelsDir, port: 0, isolated: values.isolated });
  });
  console.log(`serving ${distDir} and MNIST from ${dataDir}${modelsDir ? `, checkpoints from ${modelsDir}` : ''}`);
  console.log(`open ${url}?data=${url}mnist/   (Ctrl-C to stop)`);
  if (modelsDir) console.log(`text generation: ${url}generate.html?model=${url}models/NAME/   (NAME: a folder in ${modelsDir})`);
}
