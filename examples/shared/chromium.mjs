// Headless Chromium for the browser examples' page tests, through playwright-core (the calling
// example's own dependency, passed in): WebGPU enabled, nothing fetched in the background, a
// fresh profile that `close()` removes.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the page tests cannot run here, or null. */
export function chromiumMissing() {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install -y chromium)`;
}

/** `chromium` is playwright-core's; resolves to `{ context, close }`. */
export async function launchChromium(chromium, { viewport } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'tensile-chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...(viewport ? { viewport } : {}),
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Open `url` in a new page of `context` and wait until the page's `globalThis.__example`
 * says it trained or failed; resolves to `{ page, state, messages }` (its console lines and
 * page errors). Past `timeout` ms it rejects with the last state and the console, so a stuck
 * page says why.
 */
export async function openUntilTrained(context, url, timeout) {
  const page = await context.newPage();
  const messages = [];
  page.on('console', (m) => messages.push(m.text()));
  page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
  const read = () => page.evaluate(() => globalThis.__example);
  try {
    await page.goto(url);
    await page.waitForFunction(() => globalThis.__example?.trained === true || globalThis.__example?.error != null, undefined, { timeout });
  } catch (e) {
    throw new Error(`${e.message}\nstate: ${JSON.stringify(await read().catch(() => null))}\nconsole:\n${messages.join('\n')}`);
  }
  return { page, state: await read(), messages };
}
