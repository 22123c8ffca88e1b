// Export the MobileNet v2 backbone once per run (cached), before any test file starts.
import { modelReady } from './model.js';

export default function setup(): void {
  const why = modelReady();
  if (why) console.warn(`@tensile/example-onnx-finetune tests skipped: ${why}; set TENSILE_REQUIRE_TOOLS=1 to make this a failure`);
}
