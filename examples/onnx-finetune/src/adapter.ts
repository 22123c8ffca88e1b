/**
 * Choosing the backend, shared by Node (backend.ts) and the page: the one asked for, else the
 * best that starts of webgpu, wasm and cpu, except that webgpu on a software adapter
 * (llvmpipe, lavapipe, SwiftShader: its shaders run on the CPU) ranks below wasm. The backends'
 * packages must be imported (registered) before.
 */
import * as tl from '@tensile/core';

export interface BackendChoice {
  name: string;
  /** One line per better backend that was not used, with the reason. */
  passedOver: string[];
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/** The adapter's description when a started backend runs on a software GPU adapter, else null. */
export function softwareAdapter(backend: unknown): string | null {
  const b = backend as { adapter?: unknown; runtime?: { cpu?: unknown } };
  if (typeof b.adapter !== 'string') return null;
  return b.runtime?.cpu === true || /llvmpipe|lavapipe|swiftshader|software/i.test(b.adapter) ? b.adapter : null;
}

/**
 * Make `forced` (or the best backend that starts) the default device. `unavailable` names
 * backends known not to be there (a package that failed to import) with the reason.
 */
export async function pickBackend(forced?: string | null, unavailable: ReadonlyMap<string, string> = new Map()): Promise<BackendChoice> {
  if (forced) {
    try {
      await tl.setBackend(forced);
    } catch (error) {
      const why = unavailable.get(forced);
      throw new Error(`backend '${forced}' is not available: ${firstLine(error)}${why ? ` (${why})` : ''}`);
    }
    return { name: forced, passedOver: [] };
  }
  const passedOver: string[] = [];
  const deferred: string[] = [];
  for (const candidate of ['webgpu', 'wasm']) {
    const why = unavailable.get(candidate);
    if (why) {
      passedOver.push(`${candidate}: ${why}`);
      continue;
    }
    let backend: unknown;
    try {
      backend = await tl.ready(candidate);
    } catch (error) {
      passedOver.push(`${candidate}: did not start: ${firstLine(error)}`);
      continue;
    }
    const software = softwareAdapter(backend);
    if (software) {
      passedOver.push(`${candidate}: started on '${software}', a software adapter (shaders run on the CPU), so it ranks below wasm`);
      deferred.push(candidate);
      continue;
    }
    await tl.setBackend(candidate);
    return { name: candidate, passedOver };
  }
  // wasm did not start either: a software GPU still beats plain JavaScript.
  for (const candidate of [...deferred, 'cpu']) {
    try {
      await tl.setBackend(candidate);
      return { name: candidate, passedOver };
    } catch (error) {
      passedOver.push(`${candidate}: did not start: ${firstLine(error)}`);
    }
  }
  throw new Error(`no backend could start:\n  ${passedOver.join('\n  ')}`);
}
