/** The wasm backend's generated file: op and dtype codes, and the slots of its record layouts. */
import type { Output } from './outputs.js';
import { renderAssemblyScript } from './render.js';

export const WASM_OUTPUT: Output = {
  path: 'packages/backend-wasm/assembly/generated/ops.ts',
  render: () => renderAssemblyScript({}),
};
