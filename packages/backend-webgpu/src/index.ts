// The WebGPU types (GPUDevice, GPUBuffer, ...) that this package's declarations use; kept in
// the emitted index.d.ts, so a consumer needs no `types` entry of its own.
/// <reference types="@webgpu/types" preserve="true" />
/**
 * `@tensile/backend-webgpu`: importing this module registers the webgpu backend (priority 2)
 * with an asynchronous factory; the device is requested on the first
 * `await tl.setBackend('webgpu')` or `await tl.ready('webgpu')`.
 *
 * @example
 * ```ts
 * import * as tl from '@tensile/core';
 * import '@tensile/backend-webgpu';
 * await tl.setBackend('webgpu');
 * const y = tl.randn([256, 256]).matmul(tl.randn([256, 256]));
 * console.log(await y.sum().item());
 * ```
 */
import { getBackend, registerBackend } from '@tensile/core';
import { WebGPUBackend } from './webgpu-backend.js';

function register(): void {
  registerBackend({ name: 'webgpu', factory: start }, { priority: 2 });
}

async function start(): Promise<WebGPUBackend> {
  const backend = await WebGPUBackend.create();
  // A lost device never comes back: registering afresh lets the next `ready('webgpu')` or
  // `setBackend('webgpu')` start a new one (tensors on the lost device keep raising).
  void backend.runtime.device.lost.then(() => {
    try {
      if (getBackend('webgpu') === backend) register();
    } catch {
      // unregistered, or replaced by the user: nothing to restart
    }
  });
  return backend;
}

register();

export { WebGPUBackend, type WebGPUBackendOptions } from './webgpu-backend.js';
export { GpuBuffer, Runtime } from './runtime.js';
export { findGPU, requestDevice, NODE_WEBGPU_PACKAGE } from './device.js';
