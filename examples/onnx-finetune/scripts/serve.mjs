// A small static server on 127.0.0.1 for the page: the built page (dist/) at /, the exported
// backbone's folder at /models/ and the CIFAR-10 binary batches at /cifar/. Served cross-origin
// isolated (COOP/COEP) by default, which browsers require for wasm's worker threads.
//
//   node scripts/serve.mjs [--models DIR] [--data DIR] [--port N] [--no-isolated]
//
// --models defaults to .tensile-cache/ (where `pnpm export-model` writes mobilenet_v2.onnx);
// --data is the folder holding cifar-10-batches-bin/ (or that folder), default TENSILE_DATA,
// else the datasets cache (TENSILE_CACHE or ~/.cache/tensile), where CIFAR10.load's download puts it.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveFolders, serveOnFreePort } from '../../shared/static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The folder holding the CIFAR-10 batch files, from a data root (or the folder itself). */
export function cifarDir(root) {
  const base = root ?? process.env.TENSILE_DATA ?? process.env.TENSILE_CACHE ?? join(homedir(), '.cache', 'tensile');
  return existsSync(join(base, 'cifar-10-batches-bin')) ? join(base, 'cifar-10-batches-bin') : base;
}

const roots = (distDir, modelsDir, dataDir) => [['/models/', modelsDir], ['/cifar/', dataDir], ['/', distDir]];

/** Serve `distDir` at /, `modelsDir` at /models/ and `cifarDir` at /cifar/; resolves to { server, url }. */
export function serve({ distDir = resolve(here, '../dist'), modelsDir = resolve(here, '../.tensile-cache'), dataDir = cifarDir(), port = 0, isolated = true } = {}) {
  return serveFolders({ roots: roots(distDir, modelsDir, dataDir), port, isolated });
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
  const { url } = await serveOnFreePort({ roots: roots(distDir, modelsDir, dataDir), port: Number(values.port), isolated: values.isolated });
  console.log(`serving ${distDir}, models from ${modelsDir} and CIFAR-10 from ${dataDir}${values.isolated ? ' (cross-origin isolated)' : ''}`);
  console.log(`open ${url}   (Ctrl-C to stop; ?steps=, ?batch=, ?size=, ?backend=, ?model=, ?data= change the run)`);
}
