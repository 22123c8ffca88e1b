/**
 * The Node fine-tune on synthetic CIFAR-format batches (written here, as @tensile/datasets'
 * tests do) with the MobileNet v2 backbone exported in the global setup: a handful of steps on
 * the best backend; the loss falls, the held-out accuracy rises, memory stays flat, the
 * backbone's parameters and buffers do not change while the head's do. Then the command line
 * as the README runs it, and its hint when the data is missing.
 *
 * Without /usr/bin/python3 and torch the tests skip with a message (the global setup says why),
 * unless TENSILE_REQUIRE_TOOLS is set (CI), where the setup fails instead.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fineTune } from '../src/finetune.js';
import { TEST_MODEL, modelMissing } from './model.js';
import { syntheticCifar } from './synthetic.js';

const exampleDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const missing = modelMissing();
if (missing) console.warn(`example-onnx-finetune Node tests skipped: ${missing}`);

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function data(): string {
  const root = syntheticCifar(32, 64);
  temps.push(root);
  return root;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The command as `pnpm start -- ...` runs it (asynchronously, with a time limit). */
function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: '0', ...extraEnv };
    delete env.TENSILE_DATA;
    delete env.INIT_CWD;
    const child = spawn(process.execPath, ['--conditions=@tensile/source', '--import', 'tsx', 'src/finetune.ts', ...args], { cwd: exampleDir, env, timeout: 90_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(missing !== null)('fine-tuning the head on an imported MobileNet v2 (Node)', () => {
  it('trains only the head: the loss falls, accuracy rises, memory stays flat, the backbone is unchanged', async () => {
    const steps = 12;
    const result = await fineTune({ model: TEST_MODEL, data: data(), steps, batchSize: 16, lr: 3e-3, heldOut: 64, verbose: false });
    const first = mean(result.losses.slice(0, 3));
    const last = mean(result.losses.slice(-3));
    const memory = [...new Set(result.memory.map((m) => `${m.tensors} tensors / ${m.bytes} B`))];
    console.log(
      `node: ${result.backend}, ${steps} steps in ${result.seconds.toFixed(1)} s; loss ${first.toFixed(3)} -> ${last.toFixed(3)} (means of 3 steps); ` +
        `held-out accuracy ${(result.accuracyBefore * 100).toFixed(1)}% -> ${(result.accuracy * 100).toFixed(1)}%; memory after each step: ${memory.join(', ')}`,
    );
    expect(result.losses).toHaveLength(steps);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(first * 0.8);
    expect(result.accuracy).toBeGreaterThan(result.accuracyBefore);
    expect(result.accuracy).toBeGreaterThan(0.3);
    // The first step creates Adam's state; after it every step leaves the same live tensors and bytes.
    for (const m of result.memory.slice(2)) expect(m).toEqual(result.memory[1]);
    expect(result.backboneChanged).toEqual([]);
    expect(result.headChanged.sort()).toEqual(['bias', 'weight']);
    expect(result.headParameters).toBe(1280 * 10 + 10);
    expect(result.backboneParameters).toBeGreaterThan(2_000_000);
  });

  it('runs from the command line with progress and the final accuracy, and says how to provide missing data', async () => {
    const run = await cli(['--model', TEST_MODEL, '--data', data(), '--steps', '4', '--batch-size', '8', '--held-out', '32']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^backend: (webgpu|wasm|cpu) \(the best that started\)/m);
    expect(run.stdout).toMatch(/CIFAR-10: 160 training images, held-out batch of 32 test images/);
    expect(run.stdout).toMatch(/step 4\/4: loss \d+\.\d+/);
    expect(run.stdout).toMatch(/held-out accuracy: \d+\.\d% of 32 test images/);
    expect(run.stdout).toMatch(/changed by training: 2 of 2 head tensors, 0 of \d+ backbone tensors/);
    expect(run.stderr).toMatch(/fine-tune .*4\/4/);

    const empty = mkdtempSync(path.join(tmpdir(), 'tensile-onnx-finetune-empty-'));
    temps.push(empty);
    const absent = await cli(['--model', TEST_MODEL, '--data', empty, '--backend', 'cpu'], { TENSILE_CACHE: empty });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/CIFAR-10 files not found: data_batch_1\.bin/);
    expect(absent.stderr).toMatch(/--data DIR .* --download/);

    const noModel = await cli(['--model', path.join(empty, 'none.onnx'), '--backend', 'cpu']);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/no model at .*none\.onnx: run `pnpm export-model`/);
  });
});
