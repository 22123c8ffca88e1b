/**
 * @tensile/onnx: import ONNX models as trainable Tensile modules.
 *
 * ```ts
 * import { loadOnnx } from '@tensile/onnx';
 * const model = await loadOnnx('model.onnx');
 * ```
 */
export { loadOnnx, OnnxModule, type LoadOnnxOptions } from './load.js';
export { StringTensor, type NestedStrings } from './value.js';
export { supportedContribOps, supportedOps } from './ops/index.js';
export { exportOnnx, type ExportOnnxOptions } from './export/index.js';
