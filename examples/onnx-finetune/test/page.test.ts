/**
 * The page end to end in Chromium: build it (esbuild), serve it with the exported backbone and
 * synthetic CIFAR-10 batches from 127.0.0.1 (cross-origin isolated, so wasm runs on worker
 * threads), fine-tune the head for a few steps and check that the steps ran, the loss fell,
 * memory stayed flat, only the head changed and predictions are shown; a screenshot goes to
 * test-output/page.png.
 *
 * Without /usr/bin/chromium or the exported model (no PyTorch) the test skips with a message,
 * unless TENSILE_REQUIRE_TOOLS is set (CI), where either one missing fails it.
 */
import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM scripts without type declarations
import { build } from '../scripts/build.mjs';
// @ts-expect-error plain ESM scripts without type declarations
import { serve } from '../scripts/serve.mjs';
import { chromiumMissing, launchChromium, openUntilTrained } from '../../shared/chromium.mjs';
import type { ExampleState } from '../src/page.js';
import { TEST_MODEL_DIR, modelMissing } from './model.js';
import { syntheticCifar } from './synthetic.js';

const exampleRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const STEPS = 12;

const missing = [chromiumMissing(), modelMissing()].filter((m): m is string => m !== null);
const required = Boolean(process.env.TENSILE_REQUIRE_TOOLS);
if (missing.length && !required) {
  console.warn(`example-onnx-finetune page test skipped: ${missing.join('; ')}; set TENSILE_REQUIRE_TOOLS to make this a failure`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.skipIf(missing.length > 0 && !required)('the fine-tuning page in Chromium', () => {
  let server: Server | undefined;
  let url = '';
  let dataRoot = '';
  let context: import('playwright-core').BrowserContext | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (missing.length) throw new Error(`TENSILE_REQUIRE_TOOLS is set but: ${missing.join('; ')}`);
    await build({ quiet: true });
    dataRoot = syntheticCifar(64, 64);
    ({ server, url } = await serve({ distDir: join(exampleRoot, 'dist'), modelsDir: TEST_MODEL_DIR, dataDir: join(dataRoot, 'cifar-10-batches-bin') }));
    const { chromium } = await import('playwright-core');
    ({ context, close: closeBrowser } = await launchChromium(chromium, { viewport: { width: 1280, height: 800 } }));
  }, 60_000);

  afterAll(async () => {
    await closeBrowser?.();
    server?.close();
    if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  });

  /** Open the page with `query`, wait until it has trained (or failed) and return its state. */
  async function train(query: string): Promise<{ page: Page; state: ExampleState }> {
    const { page, state, messages } = await openUntilTrained<ExampleState, Page>(context!, `${url}?${query}`, 90_000);
    expect(state.error, messages.join('\n')).toBeNull();
    expect(messages.join('\n')).not.toMatch(/pageerror/);
    console.log(
      `page: ${state.backend}${state.threads ? ` (${state.threads} threads)` : ''}; ${state.status}; held-out accuracy ${((state.accuracyBefore ?? 0) * 100).toFixed(1)}% -> ` +
        `${((state.accuracy ?? 0) * 100).toFixed(1)}%; memory after each step ${[...new Set(state.memory.map((m) => `${m.tensors} tensors / ${m.bytes} B`))].join(', ')}`,
    );
    return { page, state };
  }

  /** What every run must show: all steps ran, the loss fell, memory stayed flat, only the head changed. */
  function checkTraining(s: ExampleState, steps: number): void {
    expect(s.losses).toHaveLength(steps);
    expect(s.step).toBe(steps);
    expect(s.losses.every(Number.isFinite)).toBe(true);
    expect(mean(s.losses.slice(-3))).toBeLessThan(mean(s.losses.slice(0, 3)));
    // The first step creates Adam's state; after it every step leaves the same live tensors and bytes.
    for (const m of s.memory.slice(2)) expect(m).toEqual(s.memory[1]);
    expect(s.backboneChanged).toEqual([]);
    expect(s.headChanged!.sort()).toEqual(['bias', 'weight']);
  }

  it('loads the .onnx and the CIFAR batches by URL and trains the head on the best backend: the loss falls, memory stays flat, the backbone is unchanged', async () => {
    const { page, state } = await train(`steps=${STEPS}&batch=16&lr=0.003&heldout=64&threads=2&batches=data_batch_1.bin,data_batch_2.bin`);
    checkTraining(state, STEPS);
    // SwiftShader's WebGPU runs shaders on the CPU, so wasm (on worker threads: the page is cross-origin isolated) ranks above it.
    expect(['webgpu', 'wasm']).toContain(state.backend);
    if (state.backend === 'wasm') expect(state.threads).toBe(2);
    expect(state.accuracy!).toBeGreaterThan(state.accuracyBefore!);
    expect(await page.locator('#predictions figure').count()).toBe(10);
    expect(await page.textContent('#step')).toBe(`${STEPS} / ${STEPS}`);
    const out = join(exampleRoot, 'test-output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'page.png'), fullPage: true });
    await page.close();
  }, 120_000);
});
