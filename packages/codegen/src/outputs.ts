/** Every generated file: where it goes (from the repository root) and what renders it. */
import { renderAssemblyScript, renderCudaHeader } from './render.js';

export interface Output {
  readonly path: string;
  readonly render: () => string;
}

export const OUTPUTS: readonly Output[] = [
  { path: 'packages/backend-wasm/assembly/generated/ops.ts', render: () => renderAssemblyScript({}) },
  { path: 'packages/backend-cuda/kernels/generated/ops.h', render: () => renderCudaHeader({}) },
];
