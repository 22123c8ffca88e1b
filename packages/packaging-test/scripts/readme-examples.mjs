/**
 * The TypeScript examples of the root README and of every published package's README, as
 * modules for a consumer project to typecheck. A README reads as one program: its first block
 * is the module's top level and each later block runs in its own scope after it (so it may use
 * the first block's names and declare its own), with every block's imports merged at the top.
 * A block headed by a file name comment (`// squares.ts`) is that file, a module of its own.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BLOCK = /^```ts\n([\s\S]*?)^```$/gm;
const IMPORT = /^import\s+(type\s+)?([^;']*?)\s*from\s+'([^']+)';[^\n]*\n|^import\s+'([^']+)';[^\n]*\n/gm;
const FILE_HEADER = /^\/\/ ([\w-]+\.ts)\n/;

/** Imports merged by module: side effects, namespaces, and the union of named bindings. */
class Imports {
  lines = new Map();
  add(isType, clause, from, sideEffect) {
    if (sideEffect) return void this.lines.set(`side:${sideEffect}`, `import '${sideEffect}';`);
    const named = clause.match(/^\{([\s\S]*)\}$/);
    if (!named) return void this.lines.set(`${clause}:${from}`, `import ${isType ?? ''}${clause} from '${from}';`);
    const key = `${isType ? 'type' : 'value'}:${from}`;
    const names = this.lines.get(key)?.names ?? new Set();
    for (const name of named[1].split(',').map((n) => n.trim()).filter(Boolean)) names.add(name);
    this.lines.set(key, { names, toString: () => `import ${isType ?? ''}{ ${[...names].join(', ')} } from '${from}';` });
  }
  toString() {
    return [...this.lines.values()].map(String).join('\n');
  }
}

/** The modules of one README's text, as file name → source. */
export function readmeModules(name, text) {
  const modules = {};
  const imports = new Imports();
  const bodies = [];
  for (const [, block] of text.matchAll(BLOCK)) {
    const file = block.match(FILE_HEADER);
    if (file) {
      modules[file[1]] = block;
      continue;
    }
    bodies.push(block.replace(IMPORT, (_, isType, clause, from, sideEffect) => (imports.add(isType, clause, from, sideEffect), '')));
  }
  if (bodies.length > 0) {
    const [first, ...rest] = bodies;
    modules[`${name}.ts`] = [String(imports), '', first, ...rest.map((body) => `{\n${body}}\n`), 'export {};', ''].join('\n');
  }
  return modules;
}

/** Write every README's modules (README name → path) under `dir`; returns the files written. */
export function writeReadmeModules(readmes, dir) {
  mkdirSync(dir, { recursive: true });
  const written = [];
  for (const [name, path] of Object.entries(readmes)) {
    for (const [file, source] of Object.entries(readmeModules(name, readFileSync(path, 'utf8')))) {
      writeFileSync(join(dir, file), source);
      written.push(file);
    }
  }
  return written;
}
