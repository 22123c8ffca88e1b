/**
 * "Install only what you need": pack core and one backend with pnpm, install the tarballs
 * with npm into a fresh project outside the workspace, and run a small program there.
 * Turbo builds the packages first (this package depends on them, and test needs ^build).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'tensile-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function pack(dir: string): string {
  const out = join(work, 'tarballs');
  mkdirSync(out, { recursive: true });
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: join(packagesDir, dir), stdio: 'pipe' });
  const name = readdirSync(out).find((f) => f.startsWith(`tensile-${dir}-`) && f.endsWith('.tgz'));
  if (!name) throw new Error(`pnpm pack produced no tarball for ${dir}`);
  return join(out, name);
}

describe('packed tarballs', () => {
  it('core + backend-cpu install with npm into a fresh project and run', () => {
    const tarballs = ['core', 'backend-cpu'].map(pack);
    const project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', ...tarballs], { cwd: project, stdio: 'pipe' });
    const installed = readdirSync(join(project, 'node_modules', '@tensile'));
    expect(installed.sort()).toEqual(['backend-cpu', 'core']);
    writeFileSync(
      join(project, 'main.js'),
      [
        "import * as tl from '@tensile/core';",
        "import '@tensile/backend-cpu';",
        'const x = tl.tensor([[1, 2], [3, 4]], { requiresGrad: true });',
        'x.matmul(x).relu().sum().backward();',
        'console.log(JSON.stringify({ device: x.device, grad: await x.grad.array() }));',
      ].join('\n'),
    );
    const output = execFileSync('node', ['main.js'], { cwd: project, encoding: 'utf8' });
    // d/dx sum(x @ x) = 1 @ x^T + x^T @ 1 for all-positive products.
    expect(JSON.parse(output)).toEqual({ device: 'cpu', grad: [[7, 11], [9, 13]] });
  });
});
