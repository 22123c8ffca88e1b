// The two commands end to end on the cpu backend, on the tiny random-weight GPT-2 that
// @tensile/transformers' fixture generator writes (PyTorch reference, no network): finetune
// on a text file drives the loss down and saves a checkpoint that the PyTorch reference
// loads with the same logits Tensile computes; generate streams text from it. Then finetune
// --amp on webgpu (mixed precision), where the adapter has float16.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import '@tensile/backend-webgpu';
import { backendUnavailable, skipReason } from '@tensile/conformance/required-tools';
import { GPT2LMHeadModel } from '@tensile/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));
const exampleDir = path.join(here, '..');
const generator = path.join(exampleDir, '..', '..', 'packages', 'transformers', 'tools', 'generate_fixtures.py');
const haveTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// CI installs torch: there a missing torch is a broken install, not a reason to skip.
if (!haveTorch && process.env.TENSILE_REQUIRE_TOOLS) throw new Error(`${PYTHON} cannot import torch, and TENSILE_REQUIRE_TOOLS is set`);
const work = mkdtempSync(path.join(tmpdir(), 'tensile-example-transformers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(script: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@tensile/source', '--import', 'tsx', path.join('src', script), ...args], { cwd: exampleDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}:\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const run = haveTorch ? describe : describe.skip;
if (!haveTorch) it.skip(`${PYTHON} with torch is not installed; the fixture checkpoints cannot be generated`, () => {});

run('example commands', () => {
  const fixtures = path.join(work, 'fixtures');
  // Every fixture of the transformers package (a minute on a loaded 2-core machine), past vitest's 10 s hook default.
  beforeAll(() => {
    const r = spawnSync(PYTHON, [generator, fixtures], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`generate_fixtures.py failed:\n${r.stderr}`);
  }, 600_000);

  it('finetune: 40 steps cut the loss, save a hub-layout checkpoint PyTorch loads with equal logits; generate streams from it', async () => {
    const text = path.join(work, 'corpus.txt');
    writeFileSync(text, 'the quick brown fox jumps over the lazy dog. hello world, hello there! '.repeat(8));
    const out = path.join(work, 'finetuned');
    const { stdout, stderr } = cli('finetune.ts', ['--model', path.join(fixtures, 'gpt2'), '--text', text, '--out', out, '--steps', '40', '--batch', '2', '--seq', '24', '--lr', '3e-3', '--backend', 'cpu']);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(summary.steps).toBe(40);
    expect(summary.lossAfter).toBeLessThan(summary.lossBefore * 0.5);
    expect(stderr).toMatch(/fine-tuning .*40\/40/);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) expect(existsSync(path.join(out, f))).toBe(true);

    // The saved checkpoint in the PyTorch reference (generate_fixtures.py --logits) and in Tensile.
    const ids = [[3, 7, 11, 2, 5]];
    writeFileSync(path.join(work, 'in.json'), JSON.stringify({ input_ids: ids }));
    const r = spawnSync(PYTHON, [generator, '--logits', out, path.join(work, 'in.json'), path.join(work, 'out.json')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(readFileSync(path.join(work, 'out.json'), 'utf8')).logits as number[];
    await tl.setBackend('cpu');
    const model = await GPT2LMHeadModel.fromPretrained(out, { device: 'cpu', logger: null });
    const input = tl.tensor(ids, { dtype: 'int32' });
    const { logits } = tl.noGrad(() => model.forward(input));
    const ours = (await logits.data()) as Float32Array;
    expect(ours.length).toBe(theirs.length);
    expect(Math.max(...Array.from(ours, (v, i) => Math.abs(v - theirs[i])))).toBeLessThan(1e-4);
    for (const t of [logits, input]) t.dispose();
    model.dispose();

    const gen = cli('generate.ts', ['--model', out, '--prompt', 'the quick', '--max-new-tokens', '8', '--backend', 'cpu']);
    expect(gen.stdout.startsWith('the quick')).toBe(true);
    expect(gen.stdout.trim().length).toBeGreaterThan('the quick'.length);
    expect(gen.stderr).toMatch(/8 tokens in .* tokens\/s\) on cpu/);
  });

  it('finetune --amp refuses a device without float16, naming it', () => {
    const r = spawnSync(process.execPath, ['--conditions=@tensile/source', '--import', 'tsx', path.join('src', 'finetune.ts'), '--model', path.join(fixtures, 'gpt2'), '--text', 'x', '--out', 'y', '--backend', 'cpu', '--amp'], { cwd: exampleDir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--amp needs float16 on the device .*; cpu has none/);
  });

  it('finetune --backend webgpu --amp: mixed precision cuts the loss and saves float32 weights', async (context) => {
    const unavailable = (await backendUnavailable('webgpu')) ?? (tl.isDTypeSupported('float16', 'webgpu') ? null : skipReason("the WebGPU adapter has no 'shader-f16'"));
    if (unavailable) context.skip(unavailable);
    const text = path.join(work, 'corpus-amp.txt');
    writeFileSync(text, 'the quick brown fox jumps over the lazy dog. hello world, hello there! '.repeat(8));
    const out = path.join(work, 'finetuned-amp');
    const { stdout, stderr } = cli('finetune.ts', ['--model', path.join(fixtures, 'gpt2'), '--text', text, '--out', out, '--steps', '40', '--batch', '2', '--seq', '24', '--lr', '3e-3', '--backend', 'webgpu', '--amp']);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(summary.amp).toBe(true);
    expect(summary.lossAfter).toBeLessThan(summary.lossBefore * 0.5);
    expect(stderr).toMatch(/fine-tuning \(amp\) .*40\/40/);
    expect(stderr).toMatch(/on webgpu, mixed precision: \d+ step\(s\) skipped, loss scale \d+/);
    await tl.setBackend('cpu');
    const model = await GPT2LMHeadModel.fromPretrained(out, { device: 'cpu', logger: null });
    for (const p of model.parameters()) expect(p.dtype).toBe('float32');
    model.dispose();
  });
});
