/**
 * The wasm backend's generated file: op and dtype codes, and the word offsets of the
 * records packages/backend-wasm/src/layouts.ts declares.
 */
// The backend's own declarations (a private tool may read them in place: codegen ships nothing).
import { LAYOUTS } from '../../backend-wasm/src/layouts.js';
import type { Output } from './outputs.js';
import { renderAssemblyScript } from './render.js';

export const WASM_OUTPUT: Output = {
  path: 'packages/backend-wasm/assembly/generated/ops.ts',
  render: () => renderAssemblyScript(LAYOUTS),
};
