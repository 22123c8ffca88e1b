/**
 * The backend in a real browser: test/browser/checks.ts (core + backend-webgpu) bundled and
 * run in Debian's Chromium with --enable-unsafe-webgpu, where navigator.gpu gives a
 * SwiftShader adapter.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserHarness, browserTestsEnabled, failedChecks } from '@tensile/conformance/browser-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface PageReport {
  done: boolean;
  adapter: string | null;
  backend: string;
  results: { name: string; ok: boolean; detail?: string }[];
}

describe.runIf(browserTestsEnabled('backend-webgpu browser test'))('in Chromium on WebGPU', () => {
  const harness = new BrowserHarness();
  beforeAll(() => harness.start(join(root, 'test/browser/checks.ts'), ['--enable-unsafe-webgpu']), 60_000);
  afterAll(() => harness.close());

  it('navigator.gpu gives an adapter, the backend is webgpu, and every check passes', async () => {
    const { report, console: messages } = await harness.run<PageReport>({ title: 'tensile backend-webgpu' });
    console.log(`webgpu in Chromium: adapter '${report.adapter}', backend '${report.backend}', ${report.results.filter((r) => r.ok).length}/${report.results.length} checks passed`);
    expect(report.adapter, 'navigator.gpu.requestAdapter() gave no adapter').not.toBeNull();
    expect(report.backend).toBe('webgpu');
    expect(report.results.length).toBeGreaterThanOrEqual(30);
    expect(failedChecks(report), messages.join('\n')).toEqual([]);
  }, 60_000);
});
