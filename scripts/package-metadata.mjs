// Writes the publishing metadata of every published package from one place: license file,
// repository / homepage / bugs, publishConfig (public, with npm provenance), a prepack
// build through turbo, and `files` (dist, README and LICENSE, plus what a package needs at
// install). `node scripts/package-metadata.mjs` rewrites; `--check` only reports drift
// (the packaging test runs it).
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The one place the project's address lives. */
export const REPOSITORY = 'https://github.com/tensile-ml/tensile';

/** Beyond dist/: what a package needs once installed (backend-cuda builds its addon at install). */
const EXTRA_FILES = {
  'backend-wasm': ['build/kernels.d.ts'],
  'backend-cuda': ['kernels', 'native', 'binding.gyp', 'scripts/install.mjs', 'bin'],
};

const check = process.argv.includes('--check');
const drift = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const text = readFileSync(file, 'utf8');
  const pkg = JSON.parse(text);
  if (pkg.private) continue;
  const want = {
    ...pkg,
    license: 'MIT',
    repository: { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${dir}` },
    homepage: `${REPOSITORY}/tree/main/packages/${dir}#readme`,
    bugs: { url: `${REPOSITORY}/issues` },
    files: ['dist', '!dist/**/*.tsbuildinfo', '!dist/**/*.test.*', ...(EXTRA_FILES[dir] ?? []), 'README.md', 'LICENSE'],
    publishConfig: { access: 'public', provenance: true },
    scripts: { ...pkg.scripts, prepack: `turbo run build --filter=${pkg.name} --output-logs=errors-only` },
  };
  const out = `${JSON.stringify(want, null, 2)}\n`;
  const license = join(root, 'packages', dir, 'LICENSE');
  const licenseOk = existsSync(license) && readFileSync(license, 'utf8') === readFileSync(join(root, 'LICENSE'), 'utf8');
  if (check) {
    if (out !== text) drift.push(`${pkg.name}: package.json differs from scripts/package-metadata.mjs`);
    if (!licenseOk) drift.push(`${pkg.name}: LICENSE missing or not the root one`);
    continue;
  }
  if (out !== text) writeFileSync(file, out);
  if (!licenseOk) copyFileSync(join(root, 'LICENSE'), license);
}
if (drift.length) {
  console.error(`package metadata drift (run node scripts/package-metadata.mjs):\n  ${drift.join('\n  ')}`);
  process.exit(1);
}
