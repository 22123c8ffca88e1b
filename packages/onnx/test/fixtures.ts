// The PyTorch reference fixtures (tools/generate_fixtures.py) live in the git-ignored cache
// .tensile-cache/fixtures; a stamp holding a hash of the generator decides when to remake them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { havePythonFixtures, makePythonFixtures } from '@tensile/conformance/required-tools';

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = path.join(packageDir, '.tensile-cache', 'fixtures');

/** Make the fixtures unless they are current; the reason when they cannot be made (no PyTorch). */
export function fixturesReady(): string | null {
  return makePythonFixtures({
    folder: FIXTURES,
    script: path.join(packageDir, 'tools', 'generate_fixtures.py'),
    modules: ['torch', 'torchvision', 'onnx'],
  });
}

/** Why fixture tests skip, or null when the fixtures are there. */
export function fixturesMissing(): string | null {
  return havePythonFixtures(FIXTURES) ? null : 'the PyTorch fixtures could not be generated (see the global setup)';
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
