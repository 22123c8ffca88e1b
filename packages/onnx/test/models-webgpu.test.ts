// The PyTorch reference checks on the webgpu backend (Dawn in Node; on llvmpipe without a GPU,
// so only the small models). Without an adapter the file skips, naming the reason, unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import * as tl from '@tensile/core';
import '@tensile/backend-webgpu';
import { exportSuite } from './export-suite.js';
import { modelSuite } from './model-suite.js';

let unavailable: string | null = null;
try {
  await tl.ready('webgpu');
} catch (e) {
  if (process.env.TENSILE_REQUIRE_TOOLS) throw e;
  unavailable = `webgpu backend unavailable: ${(e as Error).message}`;
}
modelSuite('webgpu', unavailable, ['mlp', 'cnn', 'gpt', 'bert']);
exportSuite('webgpu', unavailable);
