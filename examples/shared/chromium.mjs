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
