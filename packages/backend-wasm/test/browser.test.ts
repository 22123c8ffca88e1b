/**
 * The backend in a real browser: bundle core + backend-wasm + test/browser/checks.ts with
 * esbuild, serve it from 127.0.0.1 with and without cross-origin isolation (COOP/COEP),
 * and drive Debian's Chromium with playwright-core. Isolated, the worker pool runs two
 * threads; without the headers it runs single-threaded and says so once.
 *
 * Without /usr/bin/chromium the test skips with a message, unless TENSILE_REQUIRE_TOOLS
 * is set (CI), where a missing browser fails it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const haveBrowser = existsSync(CHROMIUM);
const required = Boolean(process.env.TENSILE_REQUIRE_TOOLS);

if (!haveBrowser && !required) {
  console.warn(`backend-wasm browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium); set TENSILE_REQUIRE_TOOLS to make this a failure`);
}

interface PageReport {
  done: boolean;
  isolated: boolean;
  threads: number;
  variant: string | null;
  results: { name: string; ok: boolean; detail?: string }[];
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>tensile backend-wasm</title><script type="module" src="/bundle.js"></script>';
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

/** A static server for the page, the bundle and build/*.wasm; `isolated` adds COOP/COEP. */
function serve(bundleDir: string, isolated: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    let body: string | Buffer | null = null;
    let type = 'text/html';
    if (path === '/' || path === '/index.html') {
      body = PAGE;
    } else if (path === '/bundle.js') {
      body = readFileSync(join(bundleDir, 'bundle.js'));
      type = TYPES['.js'];
    } else if (path.startsWith('/build/') && path.endsWith('.wasm')) {
      const file = normalize(join(root, path));
      if (file.startsWith(join(root, 'build')) && existsSync(file)) {
        body = readFileSync(file);
        type = TYPES['.wasm'];
      }
    }
    const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'no-store' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(body === null ? 404 : 200, headers);
    res.end(body ?? 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!haveBrowser && !required)('in Chromium', () => {
  let bundleDir = '';
  const servers: Server[] = [];
  let browser: import('playwright-core').Browser | undefined;

  beforeAll(async () => {
    if (!haveBrowser) throw new Error(`${CHROMIUM} is missing and TENSILE_REQUIRE_TOOLS is set: install it with apt-get install -y chromium`);
    bundleDir = mkdtempSync(join(tmpdir(), 'tensile-wasm-browser-'));
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [join(root, 'test/browser/checks.ts')],
      outfile: join(bundleDir, 'bundle.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@tensile/source'],
      // Node-only imports sit behind runtime checks and never run in the page.
      external: ['node:*'],
      logLevel: 'error',
    });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) s.close();
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  async function runPage(isolated: boolean): Promise<{ report: PageReport; console: string[] }> {
    const server = await serve(bundleDir, isolated);
    servers.push(server);
    const page = await browser!.newPage();
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (globalThis as { __tensile?: { done: boolean } }).__tensile?.done === true, undefined, { timeout: 40_000 });
      const report = await page.evaluate(() => (globalThis as unknown as { __tensile: PageReport }).__tensile);
      return { report, console: messages };
    } catch (e) {
      throw new Error(`${(e as Error).message}\nconsole:\n${messages.join('\n')}`);
    } finally {
      await page.close();
    }
  }

  function failures(report: PageReport): string[] {
    return report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
  }

  it('cross-origin isolated: two threads, every check passes', async () => {
    const { report, console: messages } = await runPage(true);
    expect(report.isolated).toBe(true);
    expect(report.threads).toBe(2);
    expect(report.variant).toBe('relaxed');
    expect(report.results.length).toBeGreaterThanOrEqual(30);
    expect(failures(report), messages.join('\n')).toEqual([]);
    expect(messages.filter((m) => m.includes('running single-threaded'))).toEqual([]);
  }, 60_000);

  it('without COOP/COEP: single-threaded, the notice once, the same checks pass', async () => {
    const { report, console: messages } = await runPage(false);
    expect(report.isolated).toBe(false);
    expect(report.threads).toBe(1);
    expect(messages.filter((m) => m.includes('running single-threaded'))).toHaveLength(1);
    expect(failures(report), messages.join('\n')).toEqual([]);
  }, 60_000);
});
