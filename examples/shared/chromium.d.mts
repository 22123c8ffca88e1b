// Typed by the caller's own playwright-core (this folder has no node_modules of its own).
export const CHROMIUM: string;
export function chromiumMissing(): string | null;
export function launchChromium<Context extends { close(): Promise<void> }>(
  chromium: { launchPersistentContext(profile: string, options: object): Promise<Context> },
  options?: { viewport?: { width: number; height: number } },
): Promise<{ context: Context; close: () => Promise<void> }>;
export function openUntilTrained<State, Page = unknown>(context: { newPage(): Promise<Page> }, url: string, timeout: number): Promise<{ page: Page; state: State; messages: string[] }>;
