// The PyTorch reference fixtures (tools/generate_fixtures.py) live in the git-ignored cache
// .tensile-cache/fixtures; a stamp holding a hash of the generator decides when to remake them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const GENERATOR = path.join(packageDir, 'tools', 'generate_fixtures.py');
export const FIXTURES = path.join(packageDir, '.tensile-cache', 'fixtures');

/** Make the fixtures unless they are current; the reason when they cannot be made (no PyTorch). */
export function fixturesReady(): string | null {
  const stamp = path.join(FIXTURES, 'source-hash');
  const hash = createHash('sha256').update(readFileSync(GENERATOR)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return null;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    const why = `${PYTHON} with torch, torchvision and onnx is not installed (apt-get install python3-torch python3-torchvision python3-onnx)`;
    if (process.env.TENSILE_REQUIRE_TOOLS) throw new Error(why);
    return why;
  }
  rmSync(FIXTURES, { recursive: true, force: true });
  mkdirSync(FIXTURES, { recursive: true });
  const run = spawnSync(PYTHON, [GENERATOR, FIXTURES], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`generate_fixtures.py failed:\n${run.stderr}`);
  writeFileSync(stamp, hash);
  return null;
}

/** Why fixture tests skip, or null when the fixtures are there. */
export function fixturesMissing(): string | null {
  return existsSync(path.join(FIXTURES, 'source-hash')) ? null : 'the PyTorch fixtures could not be generated (see the global setup)';
}

export function fixturePath(model: string, file: string): string {
  return path.join(FIXTURES, model, file);
}

export interface Expected {
  opset: number;
  lr: number;
  loss: number;
  curve: number[];
  inputs: number;
  outputs: number;
  parameters: string[];
}

export function expected(model: string): Expected {
  return JSON.parse(readFileSync(fixturePath(model, 'expected.json'), 'utf8')) as Expected;
}
