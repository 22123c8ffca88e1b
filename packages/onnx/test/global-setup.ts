// Generate the PyTorch reference fixtures once per run, before any test file starts.
import { fixturesReady } from './fixtures.js';

export default function setup(): void {
  const why = fixturesReady();
  if (why) console.warn(`@tensile/onnx fixtures skipped: ${why}`);
}
