// A small static server on 127.0.0.1 for the page: the built page (dist/) at /, the exported
// backbone's folder at /models/ and the CIFAR-10 binary batches at /cifar/. Served cross-origin
// isolated (COOP/COEP) by default, which browsers require for wasm's worker threads.
//
//   node scripts/serve.mjs [--models DIR] [--data DIR] [--port N] [--no-isolated]
//
// --models defaults to .tensile-cache/ (where `pnpm export-model` writes mobilenet_v2.onnx);
// --data is the folder holding cifar-10-batches-bin/ (or that folder), default TENSILE_DATA,
// else the datasets cache (TENSILE_CACHE or ~/.cache/tensile), where CIFAR10.load's download puts it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
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
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** The folder holding the CIFAR-10 batch files, from a data root (or the folder itself). */
export function cifarDir(root) {
  const base = root ?? process.env.TENSILE_DATA ?? process.env.TENSILE_CACHE ?? join(homedir(), '.cache', 'tensile');
  return existsSync(join(base, 'cifar-10-batches-bin')) ? join(base, 'cifar-10-batches-bin') : base;
}

/** Serve `distDir` at /, `modelsDir` at /models/ and `cifarDir` at /cifar/; resolves to { server, url }. */
export function serve({ distDir = resolve(here, '../dist'), modelsDir = resolve(here, '../.tensile-cache'), dataDir = cifarDir(), port = 0, isolated = true } = {}) {
  const roots = [['/models/', modelsDir], ['/cifar/', dataDir], ['/', distDir]];
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
    server.listen(port, '127.0.0.1', () => resolvePromise({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    // `pnpm serve -- --data DIR` passes the '--' through.
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { models: { type: 'string' }, data: { type: 'string' }, port: { type: 'string', default: '8080' }, isolated: { type: 'boolean', default: true } },
    allowNegative: true,
  });
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const distDir = resolve(here, '../dist');
  const modelsDir = values.models ? resolve(cwd, values.models) : resolve(here, '../.tensile-cache');
  const dataDir = cifarDir(values.data ? resolve(cwd, values.data) : undefined);
  if (!existsSync(join(distDir, 'app.js'))) {
    console.error('dist/ is not built: run `pnpm build` in examples/onnx-finetune first');
    process.exit(1);
  }
  if (!existsSync(join(modelsDir, 'mobilenet_v2.onnx'))) console.warn(`warning: no mobilenet_v2.onnx in ${modelsDir} (run \`pnpm export-model\`, or pass --models DIR)`);
  if (!existsSync(join(dataDir, 'data_batch_1.bin'))) console.warn(`warning: no CIFAR-10 batches in ${dataDir} (pass --data DIR holding cifar-10-batches-bin/)`);
  const options = { distDir, modelsDir, dataDir, isolated: values.isolated };
  const { url } = await serve({ ...options, port: Number(values.port) }).catch((error) => {
    if (error.code !== 'EADDRINUSE') throw error;
    console.warn(`port ${values.port} is in use; taking a free one`);
    return serve({ ...options, port: 0 });
  });
  console.log(`serving ${distDir}, models from ${modelsDir} and CIFAR-10 from ${dataDir}${values.isolated ? ' (cross-origin isolated)' : ''}`);
  console.log(`open ${url}   (Ctrl-C to stop; ?steps=, ?batch=, ?size=, ?backend=, ?model=, ?data= change the run)`);
}
