// Loader hooks that let worker threads started by the tests import the TypeScript sources:
// the '@tensile/source' export condition (as vitest resolves it), `.js` specifiers that name
// `.ts` files, and TypeScript transpiled on load (type-only, as `verbatimModuleSyntax` allows).
// Test support only: built packages run in workers without any hooks.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let ts = null;
const CACHE = path.join(tmpdir(), 'tensile-test-ts-cache');

export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes('@tensile/source') ? context.conditions : ['@tensile/source', ...context.conditions];
  try {
    return await next(specifier, { ...context, conditions });
  } catch (error) {
    if (/\.js$/.test(specifier) && (context.parentURL || specifier.startsWith('file:'))) {
      const url = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return { url: url.href, format: 'module', shortCircuit: true };
    }
    throw error;
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  // Transpiled output is cached by content, so later workers skip loading TypeScript.
  const key = createHash('sha256').update(file).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE, `${key}.js`);
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {
    // not cached yet
  }
  ts ??= require('typescript');
  const out = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
  });
  await mkdir(CACHE, { recursive: true });
  const temp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(temp, out.outputText);
  await rename(temp, cached);
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
