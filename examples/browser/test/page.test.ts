/**
 * The example page end to end in Chromium: build it (esbuild), serve it and the shared MNIST
 * files from 127.0.0.1, train a few hundred steps on WebGPU (SwiftShader), check that the
 * loss falls and the held-out accuracy passes 85%, draw a stroke on the pad and check that
 * a prediction appears, and save a screenshot to test-output/page.png.
 *
 * Without /usr/bin/chromium or ../shared/data/mnist the test skips with a message, unless
 * TENSILE_REQUIRE_TOOLS is set (CI), where either one missing fails it.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM scripts without type declarations
import { build } from '../scripts/build.mjs';
// @ts-expect-error plain ESM scripts without type declarations
import { serve } from '../scripts/serve.mjs';
import { chromiumMissing, launchChromium, openUntilTrained } from '../../shared/chromium.mjs';
// @ts-expect-error plain ESM scripts without type declarations
import { buildVite } from '../scripts/build-vite.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const exampleRoot = join(here, '..');
const repoRoot = resolve(exampleRoot, '../..');
const dataDir = resolve(repoRoot, '../shared/data/mnist');
const STEPS = 300;

const missing = [
  chromiumMissing(),
  existsSync(join(dataDir, 'train-images-idx3-ubyte.gz')) ? null : `no MNIST files in ${dataDir}`,
].filter((m): m is string => m !== null);
const required = Boolean(process.env.TENSILE_REQUIRE_TOOLS);

if (missing.length && !required) {
  console.warn(`example-browser page test skipped: ${missing.join('; ')}; set TENSILE_REQUIRE_TOOLS to make this a failure`);
}

interface ExampleState {
  backend: string | null;
  threads: number | null;
  status: string;
  step: number;
  losses: number[];
  accuracy: number | null;
  trained: boolean;
  prediction: number | null;
  probabilities: number[] | null;
  error: string | null;
}

describe.skipIf(missing.length > 0 && !required)('the browser example in Chromium', () => {
  let server: Server | undefined;
  let url = '';
  let context: import('playwright-core').BrowserContext | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (missing.length) throw new Error(`TENSILE_REQUIRE_TOOLS is set but: ${missing.join('; ')}`);
    await build({ quiet: true });
    ({ server, url } = await serve({ distDir: join(exampleRoot, 'dist'), dataDir }));
    const { chromium } = await import('playwright-core');
    ({ context, close: closeBrowser } = await launchChromium(chromium, { viewport: { width: 1280, height: 720 } }));
  }, 60_000);

  afterAll(async () => {
    await closeBrowser?.();
    server?.close();
  });

  it('trains on WebGPU (loss falls, held-out accuracy > 85%) and predicts a drawn digit', async () => {
    const { page, state: trained, messages } = await openUntilTrained<ExampleState, Page>(context!, `${url}?data=${encodeURIComponent(`${url}mnist/`)}&steps=${STEPS}`, 100_000);
    const read = () => page.evaluate(() => (globalThis as unknown as { __example: ExampleState }).__example);
    expect(trained.error, messages.join('\n')).toBeNull();
    expect(trained.backend).toBe('webgpu');
    expect(await page.textContent('#backend')).toContain('webgpu');
    expect(trained.losses).toHaveLength(STEPS);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(trained.losses.slice(0, 10)), last = mean(trained.losses.slice(-20));
    console.log(`example: ${trained.status}; loss ${first.toFixed(3)} -> ${last.toFixed(3)}, held-out accuracy ${((trained.accuracy ?? 0) * 100).toFixed(1)}%`);
    expect(last).toBeLessThan(first * 0.5);
    expect(trained.accuracy).toBeGreaterThan(0.85);

    // Draw a "7": a top bar, then a diagonal down to the lower left.
    const box = (await page.locator('#pad').boundingBox())!;
    const at = (x: number, y: number) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
    await page.mouse.move(...at(70, 60));
    await page.mouse.down();
    for (const [x, y] of [[130, 60], [210, 60], [180, 130], [150, 190], [125, 240]]) await page.mouse.move(...at(x, y), { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(() => (globalThis as { __example?: ExampleState }).__example?.prediction != null, undefined, { timeout: 20_000 });
    const drawn = await read();
    console.log(`example: the drawn digit is read as ${drawn.prediction} (p=${drawn.probabilities![drawn.prediction!].toFixed(2)})`);
    expect(drawn.probabilities).toHaveLength(10);
    expect(Math.abs(drawn.probabilities!.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-3);
    expect(await page.textContent('#prediction')).toBe(String(drawn.prediction));

    const out = join(exampleRoot, 'test-output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'page.png'), fullPage: true });
    await page.close();
  }, 150_000);

  /** Train 100 steps on wasm at `base` (a served bundle) and check that the loss falls. */
  async function trainOnWasm(base: string, query = ''): Promise<ExampleState> {
    const steps = 100;
    const { page, state: trained, messages } = await openUntilTrained<ExampleState, Page>(context!, `${base}?data=${encodeURIComponent(`${base}mnist/`)}&steps=${steps}&backend=wasm${query}`, 100_000);
    expect(trained.error, messages.join('\n')).toBeNull();
    expect(trained.backend).toBe('wasm');
    expect(trained.losses).toHaveLength(steps);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(trained.losses.slice(-10))).toBeLessThan(mean(trained.losses.slice(0, 10)));
    expect(messages.join('\n')).not.toMatch(/pageerror/);
    await page.close();
    return trained;
  }

  it('trains on wasm from the esbuild bundle (kernels copied next to app.js; one thread without COOP/COEP)', async () => {
    const trained = await trainOnWasm(url, '&threads=2');
    console.log(`esbuild bundle on wasm, not isolated: ${trained.threads} thread(s); ${trained.status}`);
    expect(trained.threads).toBe(1);
  }, 150_000);

  it('trains on wasm worker threads when the page is served with COOP/COEP (cross-origin isolated)', async () => {
    const isolated = await serve({ distDir: join(exampleRoot, 'dist'), dataDir, isolated: true });
    try {
      const trained = await trainOnWasm(isolated.url, '&threads=2');
      console.log(`esbuild bundle on wasm under COOP/COEP: ${trained.threads} threads; ${trained.status}`);
      expect(trained.threads).toBe(2);
    } finally {
      isolated.server.close();
    }
  }, 150_000);

  it('trains on wasm from a Vite build of the page (Vite emits the kernels from new URL(..., import.meta.url))', async () => {
    const outDir = await buildVite({ quiet: true });
    expect(readdirSync(join(outDir, 'assets')).filter((f) => /^tensile-[\w-]+-[\w-]+\.wasm$/.test(f))).toHaveLength(4);
    const vite = await serve({ distDir: outDir, dataDir });
    try {
      console.log(`Vite build on wasm: ${(await trainOnWasm(vite.url)).status}`);
    } finally {
      vite.server.close();
    }
  }, 150_000);
});
