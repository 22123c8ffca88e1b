/**
 * Running part of the suite in a real browser, for any backend: bundle a page script with
 * esbuild, serve it from 127.0.0.1, drive Debian's Chromium with playwright-core, and read
 * the report the page leaves on `globalThis.__tensile` once `done` is true.
 *
 * Without Chromium a browser test skips with a message, unless TENSILE_REQUIRE_TOOLS is set
 * (CI installs Chromium), where the missing browser fails it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Whether browser tests should run here; says why when they skip. */
export function browserTestsEnabled(label: string): boolean {
  if (existsSync(CHROMIUM) || process.env.TENSILE_REQUIRE_TOOLS) return true;
  console.warn(`${label} skipped: ${CHROMIUM} not found (apt-get install -y chromium); set TENSILE_REQUIRE_TOOLS to make this a failure`);
  return false;
}

/** A page whose script (`bundle.js`) runs checks, served with optional extra files. */
export interface PageOptions {
  title: string;
  /** Extra files by URL path (e.g. `/build/kernels.wasm`); null for a 404. */
  file?: (path: string) => { body: Buffer | string; type: string } | null;
  /** Send COOP/COEP, so the page is cross-origin isolated (SharedArrayBuffer, threads). */
  isolated?: boolean;
}

export interface PageResult<R> {
  report: R;
  console: string[];
}

/** A bundled page script, a browser to run it in, and a static server per page. */
export class BrowserHarness {
  private readonly dir = mkdtempSync(join(tmpdir(), 'tensile-browser-'));
  private readonly servers: Server[] = [];
  private context: BrowserContext | null = null;

  /** Bundle `entry` (workspace packages from their sources) and start Chromium with `args`. */
  async start(entry: string, args: readonly string[] = []): Promise<void> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing and TENSILE_REQUIRE_TOOLS is set: install it with apt-get install -y chromium`);
    }
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [entry],
      outfile: join(this.dir, 'bundle.js'),
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
    // A persistent context gives the fresh user-data-dir explicitly.
    this.context = await chromium.launchPersistentContext(join(this.dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [...BASE_ARGS, ...args],
    });
  }

  /** Serve the page, wait for its report, and return it with the page's console output. */
  async run<R>(options: PageOptions, timeoutMs = 50_000): Promise<PageResult<R>> {
    const server = await this.serve(options);
    const page = await this.context!.newPage();
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (globalThis as { __tensile?: { done: boolean } }).__tensile?.done === true, undefined, {
        timeout: timeoutMs,
      });
      const report = await page.evaluate(() => (globalThis as unknown as { __tensile: unknown }).__tensile);
      return { report: report as R, console: messages };
    } catch (e) {
      throw new Error(`${(e as Error).message}\nconsole:\n${messages.join('\n')}`);
    } finally {
      await page.close();
    }
  }

  async close(): Promise<void> {
    await this.context?.close();
    for (const s of this.servers) s.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serve(options: PageOptions): Promise<Server> {
    const page = `<!doctype html><meta charset="utf-8"><title>${options.title}</title><script type="module" src="/bundle.js"></script>`;
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const found =
        path === '/' || path === '/index.html'
          ? { body: page, type: 'text/html' }
          : path === '/bundle.js'
            ? { body: readFileSync(join(this.dir, 'bundle.js')), type: 'text/javascript' }
            : (options.file?.(path) ?? null);
      const headers: Record<string, string> = { 'Content-Type': found?.type ?? 'text/plain', 'Cache-Control': 'no-store' };
      if (options.isolated) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      }
      res.writeHead(found ? 200 : 404, headers);
      res.end(found?.body ?? 'not found');
    });
    this.servers.push(server);
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  }
}

/** The names and details of the checks a page report marks as failed. */
export function failedChecks(report: { results: { name: string; ok: boolean; detail?: string }[] }): string[] {
  return report.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);
}
