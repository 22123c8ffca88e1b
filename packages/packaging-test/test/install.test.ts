/**
 * "Install only what you need": pack every published package with pnpm (its prepack builds
 * it through turbo), check what each tarball holds and says about itself, install tarball
 * sets with npm into fresh projects outside the workspace, offline, and run a small program
 * in each. Third-party dependencies come as tarballs too, packed from the workspace's own
 * node_modules, so nothing is fetched from the registry.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReadmeModules } from '../scripts/readme-examples.mjs';

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const root = resolve(packagesDir, '..');
const work = mkdtempSync(join(tmpdir(), 'tensile-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PUBLISHED = ['core', 'backend-cpu', 'backend-wasm', 'backend-webgpu', 'backend-cuda', 'nn', 'optim', 'datasets', 'onnx', 'transformers'];
/** What each tarball may hold beyond package.json, README.md, LICENSE and dist/ (no .tsbuildinfo). */
const EXTRA: Record<string, RegExp[]> = {
  'backend-wasm': [/^build\/kernels\.d\.ts$/],
  'backend-cuda': [/^kernels\/[\w/]+\.(cu|cuh|h)$/, /^native\/\w+\.cc$/, /^binding\.gyp$/, /^scripts\/install\.mjs$/, /^bin\/[\w-]+\.mjs$/],
};

const tarballs = new Map<string, string>();
const thirdParty = new Map<string, string>();

function pack(dir: string): string {
  const out = join(work, 'tarballs');
  mkdirSync(out, { recursive: true });
  execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: join(packagesDir, dir), stdio: 'pipe' });
  const name = readdirSync(out).find((f) => f.startsWith(`tensile-${dir}-`) && f.endsWith('.tgz'));
  if (!name) throw new Error(`pnpm pack produced no tarball for ${dir}`);
  return join(out, name);
}

function listTar(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
}

function packedManifest(tarball: string): Record<string, any> {
  return JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
}

/** npm-pack a third-party dependency (and, recursively, its dependencies) from where the workspace installed it. */
function packThirdParty(name: string, from: string): void {
  let manifestPath: string | undefined;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      manifestPath = candidate;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  if (!manifestPath) manifestPath = createRequire(join(from, 'x.js')).resolve(`${name}/package.json`);
  const dir = realpathSync(dirname(manifestPath));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const key = `${manifest.name}@${manifest.version}`;
  if (thirdParty.has(key)) return;
  const out = join(work, 'third-party');
  mkdirSync(out, { recursive: true });
  // The installed files as they are (npm pack refuses folders inside node_modules).
  const file = join(out, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`);
  execFileSync('tar', ['-czf', file, '-C', dir, '--exclude=./node_modules', '--transform', 's,^\\.,package,', '.']);
  thirdParty.set(key, file);
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) packThirdParty(dep, dir);
}

/** A fresh npm project with `sets` installed offline from tarballs; returns its directory. */
function install(name: string, packages: string[], withThirdParty = false): string {
  const project = join(work, name);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  const files = [...packages.map((p) => tarballs.get(p)!), ...(withThirdParty ? thirdParty.values() : [])];
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', ...files], { cwd: project, stdio: 'pipe', env: { ...process.env, npm_config_update_notifier: 'false' } });
  expect(readdirSync(join(project, 'node_modules', '@tensile')).sort()).toEqual(packages.slice().sort());
  return project;
}

function runIn(project: string, lines: string[]): unknown {
  writeFileSync(join(project, 'main.js'), lines.join('\n'));
  return JSON.parse(execFileSync('node', ['main.js'], { cwd: project, encoding: 'utf8' }).trim().split('\n').pop()!);
}

beforeAll(() => {
  for (const p of PUBLISHED) tarballs.set(p, pack(p));
  for (const p of PUBLISHED) {
    const manifest = JSON.parse(readFileSync(join(packagesDir, p, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies ?? {})) if (!dep.startsWith('@tensile/')) packThirdParty(dep, join(packagesDir, p));
  }
  // What a TypeScript consumer adds, for the README examples' typecheck.
  for (const dep of ['typescript', '@types/node']) packThirdParty(dep, root);
}, 600_000);

describe('packed tarballs', () => {
  it('package.json files and LICENSE match scripts/package-metadata.mjs', () => {
    execFileSync('node', [join(root, 'scripts', 'package-metadata.mjs'), '--check'], { stdio: 'pipe' });
  });

  it.each(PUBLISHED)('%s ships dist, types, README and LICENSE only, with full metadata', (p) => {
    const tarball = tarballs.get(p)!;
    const files = listTar(tarball);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) expect(files).toContain(needed);
    const extra = files.filter((f) => !['package.json', 'README.md', 'LICENSE'].includes(f) && !f.startsWith('dist/') && !(EXTRA[p] ?? []).some((r) => r.test(f)));
    expect(extra).toEqual([]);
    expect(files.filter((f) => /\.tsbuildinfo$|\.test\.|bench/.test(f))).toEqual([]);
    if (p === 'backend-wasm') for (const w of ['simd', 'relaxed', 'simd-single', 'relaxed-single']) expect(files).toContain(`dist/tensile-${w}.wasm`);
    // Source maps carry their sources (src/ is not shipped).
    const map = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/dist/index.js.map'], { encoding: 'utf8' }));
    expect(map.sourcesContent?.[0]).toEqual(expect.any(String));
    const m = packedManifest(tarball);
    expect(m).toMatchObject({
      license: 'MIT',
      repository: { type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/.+\.git$/), directory: `packages/${p}` },
      homepage: expect.stringMatching(/^https:\/\//),
      bugs: { url: expect.stringMatching(/^https:\/\/.+\/issues$/) },
      publishConfig: { access: 'public', provenance: true },
    });
    // Built before packing (pnpm leaves prepack out of the packed manifest).
    expect(JSON.parse(readFileSync(join(packagesDir, p, 'package.json'), 'utf8')).scripts.prepack).toBe(`turbo run build --filter=@tensile/${p} --output-logs=errors-only`);
    // pnpm replaced every workspace: range; core's peers stay below core 1.0.
    expect(JSON.stringify(m)).not.toContain('workspace:');
    if (m.peerDependencies?.['@tensile/core']) expect(m.peerDependencies['@tensile/core']).toBe('>=0.1.0 <1.0.0');
    // The README on the registry page has no relative links.
    const readme = execFileSync('tar', ['-xOzf', tarball, 'package/README.md'], { encoding: 'utf8' });
    expect(readme.match(/\]\((?!https?:|#)[^)]+\)/g) ?? []).toEqual([]);
  });

  it('core + backend-cpu install alone with npm into a fresh project and run', () => {
    const project = install('app-cpu', ['core', 'backend-cpu']);
    const result = runIn(project, [
      "import * as tl from '@tensile/core';",
      "import '@tensile/backend-cpu';",
      'const x = tl.tensor([[1, 2], [3, 4]], { requiresGrad: true });',
      'x.matmul(x).relu().sum().backward();',
      'console.log(JSON.stringify({ device: x.device, grad: await x.grad.array() }));',
    ]);
    // d/dx sum(x @ x) = 1 @ x^T + x^T @ 1 for all-positive products.
    expect(result).toEqual({ device: 'cpu', grad: [[7, 11], [9, 13]] });
  });

  it('core + backend-wasm install alone and run on wasm (kernels found in dist/)', () => {
    const project = install('app-wasm', ['core', 'backend-wasm']);
    const result = runIn(project, [
      "import * as tl from '@tensile/core';",
      "import '@tensile/backend-wasm';",
      "await tl.setBackend('wasm');",
      'const x = tl.tensor([[1, 2], [3, 4]]);',
      'console.log(JSON.stringify({ device: x.device, y: await x.matmul(x).array() }));',
    ]);
    expect(result).toEqual({ device: 'wasm', y: [[7, 10], [15, 22]] });
  });

  it('core + backend-cpu + nn + optim + transformers install alone (tokenizer libraries from tarballs) and run a GPT-2 step', () => {
    const project = install('app-transformers', ['core', 'backend-cpu', 'nn', 'optim', 'transformers'], true);
    const result = runIn(project, [
      "import * as tl from '@tensile/core';",
      "import '@tensile/backend-cpu';",
      "import { AdamW } from '@tensile/optim';",
      "import { GPT2LMHeadModel, AutoTokenizer } from '@tensile/transformers';",
      "await tl.setBackend('cpu');",
      'tl.manualSeed(0);',
      "const model = new GPT2LMHeadModel({ model_type: 'gpt2', vocab_size: 16, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 });",
      'const ids = tl.tensor([[1, 2, 3, 4]], { dtype: "int32" });',
      'const opt = new AdamW(model.parameters(), { lr: 1e-2 });',
      'const { loss } = model.forward(ids, { labels: ids });',
      'loss.backward();',
      'opt.step();',
      'const out = await model.generate([[1, 2]], { maxNewTokens: 3 });',
      'console.log(JSON.stringify({ shape: out.shape, loss: Number.isFinite(await loss.item()), tokenizer: typeof AutoTokenizer.fromPretrained }));',
    ]);
    expect(result).toEqual({ shape: [1, 5], loss: true, tokenizer: 'function' });
  });

  it('every package together installs offline (third-party dependencies from tarballs) and trains a step', () => {
    const project = install('app-all', PUBLISHED, true);
    const result = runIn(project, [
      "import * as tl from '@tensile/core';",
      "import '@tensile/backend-cpu';",
      "import '@tensile/backend-wasm';",
      "import '@tensile/backend-webgpu';",
      "import '@tensile/backend-cuda';",
      "import { Linear, functional as F } from '@tensile/nn';",
      "import { SGD } from '@tensile/optim';",
      "import { TensorDataset, DataLoader } from '@tensile/datasets';",
      "await tl.setBackend('cpu');",
      'tl.manualSeed(0);',
      'const model = new Linear(2, 1);',
      'const opt = new SGD(model.parameters(), { lr: 0.1 });',
      'const data = new TensorDataset(tl.tensor([[0, 0], [1, 1]]), tl.tensor([[0], [2]]));',
      'let steps = 0;',
      'for await (const [x, y] of new DataLoader(data, { batchSize: 2 })) {',
      '  opt.zeroGrad();',
      '  F.mseLoss(model.forward(x), y).backward();',
      '  opt.step();',
      '  steps++;',
      '}',
      'const cuda = await tl.setBackend("cuda").then(() => "started", (e) => e.message.split(":")[0]);',
      'console.log(JSON.stringify({ steps, backends: tl.listBackends().sort(), cuda }));',
    ]);
    expect(result).toEqual({ steps: 1, backends: ['cpu', 'cuda', 'wasm', 'webgpu'], cuda: expect.any(String) });
    // The README examples typecheck against the installed packages as a strict consumer sees them.
    const readmes: Record<string, string> = { root: join(root, 'README.md') };
    for (const p of PUBLISHED) readmes[p] = join(packagesDir, p, 'README.md');
    expect(writeReadmeModules(readmes, join(project, 'readme')).length).toBeGreaterThanOrEqual(PUBLISHED.length);
    for (const resolution of ['node16', 'nodenext', 'bundler']) {
      const compilerOptions = {
        strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', lib: ['es2023', 'dom'], types: ['node'],
        module: resolution === 'bundler' ? 'esnext' : resolution, moduleResolution: resolution,
      };
      writeFileSync(join(project, `tsconfig.${resolution}.json`), JSON.stringify({ compilerOptions, include: ['readme'] }));
      try {
        execFileSync('node', [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${resolution}.json`], { cwd: project, encoding: 'utf8' });
      } catch (e) {
        throw new Error(`README examples fail tsc --strict (moduleResolution ${resolution}):\n${(e as { stdout: string }).stdout}`);
      }
    }
    // backend-cuda's bin is linked, for building the addon later.
    expect(execFileSync(join(project, 'node_modules', '.bin', 'tensile-cuda'), ['--help'], { encoding: 'utf8' })).toMatch(/^usage: tensile-cuda build/);
  });
});
