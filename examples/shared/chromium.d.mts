import type { BrowserContext, BrowserType } from 'playwright-core';
export const CHROMIUM: string;
export function chromiumMissing(): string | null;
export function launchChromium(chromium: BrowserType, options?: { viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; close: () => Promise<void> }>;
