/** Conformance cases the webgpu backend skips, each with its reason. */
export const SKIPS: Record<string, string> = {
  'error/gather index out of bounds':
    'core checks index values only on backends with readSync; a GPU backend cannot throw synchronously (PyTorch CUDA reports it as a device-side assert)',
};
