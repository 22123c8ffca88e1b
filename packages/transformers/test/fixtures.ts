// Where the reference fixtures live, and how they are made: a Python generator
// (tools/generate_fixtures.py, PyTorch reference models with the hub's keys and config
// fields) writes hub-layout checkpoints and expected values into a git-ignored cache. A
// stamp holding a hash of the generator's sources decides when to write them again.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import { PYTHON, havePythonFixtures, makePythonFixtures } from '@tensile/conformance/required-tools';
import type { CausalLM } from '../src/index.js';

export { PYTHON };
const here = path.dirname(fileURLToPath(import.meta.url));
export const packageDir = path.join(here, '..');
export const toolsDir = path.join(packageDir, 'tools');
export const FIXTURES = path.join(packageDir, '.tensile-cache', 'fixtures');
export const GENERATOR = path.join(toolsDir, 'generate_fixtures.py');

/** Why the fixtures cannot be made here (no PyTorch), or null once they exist. */
export function fixturesReady(): string | null {
  return makePythonFixtures({ folder: FIXTURES, script: GENERATOR, sources: [path.join(toolsDir, 'reference.py')], modules: ['torch'] });
}

/** A fixture directory, or null (with the reason logged once) when fixtures are unavailable. */
export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** Whether the fixtures are there (the global setup made them unless PyTorch is missing). */
export const haveFixtures = havePythonFixtures(FIXTURES);

/** The expected.json of a fixture. */
export function expected<T = any>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8')) as T;
}

/** Run the reference on a checkpoint directory: its logits for `input` (see generate_fixtures.py --logits). */
export function referenceLogits(directory: string, input: object, scratch: string): { logits: number[]; shape: number[] } {
  const inPath = path.join(scratch, 'input.json');
  const outPath = path.join(scratch, 'output.json');
  writeFileSync(inPath, JSON.stringify(input));
  const run = spawnSync(PYTHON, [GENERATOR, '--logits', directory, inPath, outPath], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`generate_fixtures.py --logits failed:\n${run.stderr}`);
  return JSON.parse(readFileSync(outPath, 'utf8'));
}

/** What tools/train_reference.py writes: PyTorch's AdamW run on a checkpoint. */
export interface TorchRun {
  losses: number[];
  final_loss: number;
  grads: Record<string, number[]>;
  logits: number[];
}

/** Run tools/train_reference.py on `directory` with `spec` (files go in `scratch`): PyTorch's AdamW steps. */
export function torchRun(directory: string, spec: object, scratch: string): TorchRun {
  const inPath = path.join(scratch, 'train-in.json');
  const outPath = path.join(scratch, 'train-out.json');
  writeFileSync(inPath, JSON.stringify(spec));
  const r = spawnSync(PYTHON, [path.join(toolsDir, 'train_reference.py'), directory, inPath, outPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`train_reference.py failed:\n${r.stderr}`);
  return JSON.parse(readFileSync(outPath, 'utf8'));
}

/** Largest absolute difference between two equal-length arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxDiff: lengths differ (${a.length} vs ${b.length})`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/** Append a measured figure to .tensile-cache/report.jsonl (for the report; not an assertion). */
export function record(entry: object): void {
  const file = path.join(packageDir, '.tensile-cache', 'report.jsonl');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...entry, at: new Date().toISOString() })}\n`, { flag: 'a' });
}

/** A causal LM's loss on `input` as its own labels, in eval mode (no dropout) without a graph. */
export async function evalLoss(model: CausalLM, input: tl.Tensor): Promise<number> {
  model.eval();
  const { logits, loss } = tl.noGrad(() => model.forward(input, { labels: input }));
  const value = Number(await loss!.item());
  logits.dispose();
  loss!.dispose();
  return value;
}
