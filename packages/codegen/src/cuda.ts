/** The cuda backend's generated header: op X-macro lists and dtype codes. */
import type { Output } from './outputs.js';
import { renderCudaHeader } from './render.js';

export const CUDA_OUTPUT: Output = {
  path: 'packages/backend-cuda/kernels/generated/ops.h',
  render: () => renderCudaHeader({}),
};
