/**
 * `@tensile/backend-cpu`: importing this module registers the cpu backend (priority 0, the
 * fallback every other backend outranks).
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-cpu';
 * const x = tl.tensor([[1, 2], [3, 4]]);
 * ```
 */
import { registerBackend } from '@tensile/core';
import { CpuBackend } from './cpu-backend.js';

registerBackend(new CpuBackend(), { priority: 0 });

export { CpuBackend };
