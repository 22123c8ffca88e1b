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
  // A failed device (lost, out of memory) never recovers: registering afresh lets the next
  // `ready('webgpu')` or `setBackend('webgpu')` start a new one, while tensors of the failed
  // device keep raising its error. Destroying it frees its memory now rather than at GC.
  void backend.runtime.failed.then(() => {
    backend.runtime.device.destroy();
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
export { deviceLimits, findGPU, requestDevice, NODE_WEBGPU_PACKAGE } from './device.js';
