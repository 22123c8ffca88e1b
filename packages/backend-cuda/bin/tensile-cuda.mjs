#!/usr/bin/env node
// `npx tensile-cuda build`: build (or rebuild) the CUDA addon of @tensile/backend-cuda after
// installing, e.g. where the package manager skipped the install script (pnpm 10 does
// unless the package is in onlyBuiltDependencies) or the CUDA toolkit came later. Fails
// with a list of what is missing when nvcc or the headers are not found.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `usage: tensile-cuda build [--if-stale]
  build       build the native addon with nvcc and node-gyp (exit 1, saying what is missing, on failure)
  --if-stale  only when a kernel source is newer than the built addon
environment: TENSILE_NVCC (nvcc to use), CUDA_HOME / CUDA_PATH (toolkit root)`;

const [command, ...rest] = process.argv.slice(2);
if (command === '--help' || command === '-h' || command === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const unknown = rest.filter((a) => a !== '--if-stale');
if (command !== 'build' || unknown.length) {
  console.error(`tensile-cuda: ${command === undefined ? 'no command given' : `unknown ${command === 'build' ? 'option' : 'command'} '${command === 'build' ? unknown[0] : command}'`}\n${USAGE}`);
  process.exit(2);
}
const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'install.mjs');
const result = spawnSync(process.execPath, [script, '--build', ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
