#!/usr/bin/env node
// Builds the CUDA addon (build/Release/tensile_cuda.node) with node-gyp and nvcc.
//
// Run as the package's `install` script, so it must never fail an install: without nvcc it
// prints how to build later and exits 0; a failed build prints the error, the same hint,
// and exits 0 too. `import '@tensile/backend-cuda'` then still works, and
// `await tl.setBackend('cuda')` rejects with a message saying the addon is not built.
//
//   node scripts/install.mjs            build when nvcc is found
//   node scripts/install.mjs --force    build, and exit 1 on failure (for developers)
//   node scripts/install.mjs --build    what `npx tensile-cuda build` runs: as --force, and a
//                                       missing nvcc is an error that lists what is needed
//   node scripts/install.mjs --if-stale build only when a source is newer than the addon, and
//                                       exit 1 on failure (the package's `test` runs this: a kernel
//                                       that does not compile must fail the tests, not leave them
//                                       running on an old addon)
//
// Environment: TENSILE_NVCC (nvcc to use), CUDA_HOME / CUDA_PATH (toolkit root),
// TENSILE_CUDA_SKIP_BUILD=1 (do nothing).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'tensile_cuda.node');
const HINT =
  'to build it later (with the CUDA toolkit installed, nvcc on PATH or CUDA_HOME set), run: npx tensile-cuda build ' +
  '(under pnpm 10, which blocks install scripts unless the package is listed in onlyBuiltDependencies: pnpm exec tensile-cuda build)';
const args = new Set(process.argv.slice(2));
const explicit = args.has('--build');
const strict = explicit || args.has('--force') || args.has('--if-stale');

function say(line) {
  console.log(`@tensile/backend-cuda: ${line}`);
}

function isExecutable(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** nvcc from TENSILE_NVCC, then PATH, then CUDA_HOME / CUDA_PATH, then /usr/local/cuda. */
export function findNvcc(env = process.env) {
  if (env.TENSILE_NVCC) return isExecutable(env.TENSILE_NVCC) ? env.TENSILE_NVCC : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'nvcc'))) return join(dir, 'nvcc');
  }
  for (const home of [env.CUDA_HOME, env.CUDA_PATH]) {
    if (home && isExecutable(join(home, 'bin', 'nvcc'))) return join(home, 'bin', 'nvcc');
  }
  return null;
}

/** The toolkit root: the one holding include/cuda_runtime.h and libcudart_static.a. */
function findCudaHome(nvcc, env = process.env) {
  const candidates = [env.CUDA_HOME, env.CUDA_PATH];
  try {
    candidates.push(dirname(dirname(realpathSync(nvcc))));
  } catch {
    // keep the others
  }
  // A wrapper script (`exec /usr/local/cuda-13.0/bin/nvcc "$@"`) hides the real path: ask nvcc.
  const dryrun = spawnSync(nvcc, ['--dryrun', '--version'], { encoding: 'utf8' });
  const top = /TOP=(\S+)/.exec(`${dryrun.stdout}\n${dryrun.stderr}`);
  if (top) candidates.push(resolve(top[1].replace(/^"|"$/g, '')));
  candidates.push('/usr/local/cuda');
  for (const home of candidates) {
    if (home && existsSync(join(home, 'include', 'cuda_runtime.h'))) return home;
  }
  return null;
}

function libDir(home) {
  for (const sub of ['lib64', 'lib', join('targets', 'x86_64-linux', 'lib'), join('targets', 'sbsa-linux', 'lib')]) {
    if (existsSync(join(home, sub, 'libcudart_static.a'))) return join(home, sub);
  }
  return join(home, 'lib64');
}

/** Node's own headers, so node-gyp never tries to download them. */
function nodeDir() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

/** The newest modification time under `path` (kernels/generated included). */
function newestUnder(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestUnder(join(path, name)));
  return newest;
}

function newestSource() {
  return Math.max(newestUnder(join(root, 'binding.gyp')), newestUnder(join(root, 'kernels')), newestUnder(join(root, 'native')));
}

function finish(code, message) {
  if (message) say(message);
  process.exit(strict ? code : 0);
}

if (process.env.TENSILE_CUDA_SKIP_BUILD === '1') finish(0, 'TENSILE_CUDA_SKIP_BUILD=1: not building the addon');

const nvcc = findNvcc();
if (!nvcc && explicit) {
  const looked = process.env.TENSILE_NVCC
    ? [`TENSILE_NVCC=${process.env.TENSILE_NVCC} (not an executable file)`]
    : ['every directory on PATH', `CUDA_HOME (${process.env.CUDA_HOME ?? 'unset'})`, `CUDA_PATH (${process.env.CUDA_PATH ?? 'unset'})`];
  finish(
    1,
    'cannot build the CUDA addon: nvcc, the CUDA compiler, was not found.\n' +
      `  looked in: ${looked.join(', ')}\n` +
      '  needed: the CUDA toolkit 12.x or 13.x (nvcc, its headers and libcudart_static.a; e.g. the cuda-toolkit package ' +
      'or https://developer.nvidia.com/cuda-downloads), g++ with C++17, and Python 3 (for node-gyp)\n' +
      '  then: put nvcc on PATH, or set CUDA_HOME=/usr/local/cuda (or TENSILE_NVCC=/path/to/nvcc), and run npx tensile-cuda build again',
  );
}
if (!nvcc) {
  finish(
    0,
    'nvcc was not found, so the CUDA addon was not built; the package installs anyway and ' +
      "`await tl.setBackend('cuda')` will say the addon is missing.\n" + HINT,
  );
}
if (args.has('--if-stale') && existsSync(addon) && statSync(addon).mtimeMs >= newestSource()) {
  process.exit(0);
}
const cudaHome = findCudaHome(nvcc);
if (!cudaHome) {
  finish(1, `found ${nvcc} but no CUDA headers (include/cuda_runtime.h); set CUDA_HOME.\n${HINT}`);
}

const require = createRequire(import.meta.url);
let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  finish(1, `node-gyp is not installed next to this package.\n${HINT}`);
}
const gypArgs = [nodeGyp, 'rebuild', '-j', 'max'];
const dir = nodeDir();
if (dir) gypArgs.push(`--nodedir=${dir}`);
say(`building the CUDA addon with ${nvcc} (CUDA at ${cudaHome})`);
const started = Date.now();
const result = spawnSync(process.execPath, gypArgs, {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    TENSILE_NVCC: nvcc,
    TENSILE_CUDA_HOME: cudaHome,
    TENSILE_CUDA_LIB: libDir(cudaHome),
  },
});
if (result.status !== 0 || !existsSync(addon)) {
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
  const after = strict ? 'see the compiler output above' : 'the package installs anyway without it';
  finish(1, `building the CUDA addon failed (${why}); ${after}.\n${HINT}`);
}
finish(0, `built ${addon} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
