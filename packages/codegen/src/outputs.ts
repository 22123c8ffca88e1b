/** Every generated file: where it goes (from the repository root) and what renders it. */
import { CUDA_OUTPUT } from './cuda.js';
import { WASM_OUTPUT } from './wasm.js';

export interface Output {
  readonly path: string;
  readonly render: () => string;
}

export const OUTPUTS: readonly Output[] = [WASM_OUTPUT, CUDA_OUTPUT];
