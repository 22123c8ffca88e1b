/**
 * The backend in a real browser: test/browser/checks.ts (core + backend-wasm) bundled and
 * run in Debian's Chromium, served with and without cross-origin isolation (COOP/COEP).
 * Isolated, the worker pool runs two threads; without the headers it runs single-threaded
 * and says so once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserHarness, browserTestsEnabled, failedChecks } from '@tensile/conformance/browser-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface PageReport {
  done: boolean;
  isolated: boolean;
  threads: number;
  variant: string | null;
  results: { name: string; ok: boolean; detail?: string }[];
}

/**
 * The page (bundle.js at /) fetches its kernels next to itself, /tensile-*.wasm, as an
 * esbuild bundle does; they are built into dist/.
 */
function wasmFile(path: string) {
  if (!/^\/tensile-[\w-]+\.wasm$/.test(path)) return null;
  const file = join(root, 'dist', path.slice(1));
  if (!existsSync(file)) return null;
  return { body: readFileSync(file), type: 'application/wasm' };
}

describe.runIf(browserTestsEnabled('backend-wasm browser test'))('in Chromium', () => {
  const harness = new BrowserHarness();
  beforeAll(() => harness.start(join(root, 'test/browser/checks.ts')), 60_000);
  afterAll(() => harness.close());

  const run = (isolated: boolean) => harness.run<PageReport>({ title: 'tensile backend-wasm', file: wasmFile, isolated }, 40_000);

  it('cross-origin isolated: two threads, every check passes', async () => {
    const { report, console: messages } = await run(true);
    expect(report.isolated).toBe(true);
    expect(report.threads).toBe(2);
    expect(report.variant).toBe('relaxed');
    expect(report.results.length).toBeGreaterThanOrEqual(30);
    expect(failedChecks(report), messages.join('\n')).toEqual([]);
    expect(messages.filter((m) => m.includes('running single-threaded'))).toEqual([]);
  }, 60_000);

  it('without COOP/COEP: single-threaded, the notice once, the same checks pass', async () => {
    const { report, console: messages } = await run(false);
    expect(report.isolated).toBe(false);
    expect(report.threads).toBe(1);
    expect(messages.filter((m) => m.includes('running single-threaded'))).toHaveLength(1);
    expect(failedChecks(report), messages.join('\n')).toEqual([]);
  }, 60_000);
});
