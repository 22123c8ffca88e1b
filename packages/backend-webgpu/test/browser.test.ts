/**
 * The backend in a real browser: bundle core + backend-webgpu + test/browser/checks.ts with
 * esbuild, serve it from 127.0.0.1 and drive Debian's Chromium (headless, with
 * --enable-unsafe-webgpu, so navigator.gpu gives a SwiftShader adapter) with playwright-core.
 *
 * Without /usr/bin/chromium the test skips with a message, unless TENSILE_REQUIRE_TOOLS
 * is set (CI), where a missing browser fails it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const haveBrowser = existsSync(CHROMIUM);
const required = Boolean(process.env.TENSILE_REQUIRE_TOOLS);

if (!haveBrowser && !required) {
  console.warn(`backend-webgpu browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium); set TENSILE_REQUIRE_TOOLS to make this a failure`);
}

interface PageReport {
  done: boolean;
  adapter: string | null;
  backend: string;
  results: { name: string; ok: boolean; detail?: string }[];
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>tensile backend-webgpu</title><script type="module" src="/bundle.js"></script>';

function serve(bundleDir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const [status, type, body] =
      path === '/' || path === '/index.html'
        ? [200, 'text/html', PAGE]
        : path === '/bundle.js'
          ? [200, 'text/javascript', readFileSync(join(bundleDir, 'bundle.js'))]
          : [404, 'text/plain', 'not found'];
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!haveBrowser && !required)('in Chromium on WebGPU', () => {
  let bundleDir = '';
  let userDataDir = '';
  let server: Server | undefined;
  let context: import('playwright-core').BrowserContext | undefined;

  beforeAll(async () => {
    if (!haveBrowser) throw new Error(`${CHROMIUM} is missing and TENSILE_REQUIRE_TOOLS is set: install it with apt-get install -y chromium`);
    bundleDir = mkdtempSync(join(tmpdir(), 'tensile-webgpu-browser-'));
    userDataDir = mkdtempSync(join(tmpdir(), 'tensile-webgpu-profile-'));
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [join(root, 'test/browser/checks.ts')],
      outfile: join(bundleDir, 'bundle.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@tensile/source'],
      external: ['node:*'],
      logLevel: 'error',
    });
    server = await serve(bundleDir);
    const { chromium } = await import('playwright-core');
    // A persistent context gives the fresh user-data-dir explicitly.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    for (const dir of [bundleDir, userDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('navigator.gpu gives an adapter, the backend is webgpu, and every check passes', async () => {
    const page = await context!.newPage();
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
    let report: PageReport;
    try {
      await page.goto(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (globalThis as { __tensile?: { done: boolean } }).__tensile?.done === true, undefined, { timeout: 50_000 });
      report = await page.evaluate(() => (globalThis as unknown as { __tensile: PageReport }).__tensile);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nconsole:\n${messages.join('\n')}`);
    } finally {
      await page.close();
    }
    console.log(`webgpu in Chromium: adapter '${report.adapter}', backend '${report.backend}', ${report.results.filter((r) => r.ok).length}/${report.results.length} checks passed`);
    expect(report.adapter, 'navigator.gpu.requestAdapter() gave no adapter').not.toBeNull();
    expect(report.backend).toBe('webgpu');
    expect(report.results.length).toBeGreaterThanOrEqual(30);
    const failures = report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
    expect(failures, messages.join('\n')).toEqual([]);
  }, 60_000);
});
