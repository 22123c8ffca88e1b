// The reference checks on the wasm backend.
import * as tl from '@tensile/core';
import '@tensile/backend-wasm';
import { exportSuite } from './export-suite.js';
import { modelSuite } from './model-suite.js';

let unavailable: string | null = null;
try {
  await tl.ready('wasm');
} catch (e) {
  if (process.env.TENSILE_REQUIRE_TOOLS) throw e;
  unavailable = `wasm backend unavailable: ${(e as Error).message}`;
}
modelSuite('wasm', unavailable);
exportSuite('wasm', unavailable);
