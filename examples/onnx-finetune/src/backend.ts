/**
 * The backend in Node: `pickBackend`'s choice (adapter.ts) after importing the optional
 * backend packages, each of which registers itself; cpu is always there.
 */
import '@tensile/backend-cpu';
import { pickBackend, type BackendChoice } from './adapter.js';

export type { BackendChoice };

export async function chooseBackend(name?: string): Promise<BackendChoice> {
  const unavailable = new Map<string, string>();
  for (const short of ['webgpu', 'wasm']) {
    if (name && name !== short) continue;
    try {
      await import(`@tensile/backend-${short}`);
    } catch (error) {
      unavailable.set(short, `@tensile/backend-${short} could not be imported: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return pickBackend(name, unavailable);
}
