// Bundle the page with Vite into dist-vite/, as a Vite user would: index.html's script points
// at src/main.ts, and Vite finds backend-wasm's kernels through their
// new URL('./tensile-*.wasm', import.meta.url) and emits them as assets (no copying by hand).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

export async function buildVite({ outDir = join(root, 'dist-vite'), quiet = false } = {}) {
  // A Vite project root: index.html (script -> main.ts) and style.css beside the sources.
  const project = mkdtempSync(join(tmpdir(), 'tensile-vite-'));
  try {
    const html = readFileSync(join(root, 'src', 'index.html'), 'utf8').replace('src="app.js"', `src="/@fs${join(root, 'src', 'main.ts')}"`);
    writeFileSync(join(project, 'index.html'), html);
    copyFileSync(join(root, 'src', 'style.css'), join(project, 'style.css'));
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    await viteBuild({
      root: project,
      configFile: false,
      logLevel: quiet ? 'error' : 'info',
      // The packages' dist/ (as published; turbo builds it before tests): there the loader sits next to the kernels.
      resolve: { conditions: ['browser', 'module', 'import', 'default'] },
      server: { fs: { allow: [join(root, '..', '..')] } },
      build: { outDir, emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
    });
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildVite();
}
