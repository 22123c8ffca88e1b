// Start the webgpu backend for a test file; without an adapter the file skips with the
// reason, unless TENSILE_REQUIRE_TOOLS (CI) makes that a failure.
import * as tl from '@tensile/core';
import { skipReason } from '@tensile/conformance/required-tools';
import '../src/index.js';

/** Why the webgpu backend cannot start here, or null when it is ready. */
export async function webgpuUnavailable(): Promise<string | null> {
  try {
    await tl.ready('webgpu');
    return null;
  } catch (error) {
    return skipReason(error instanceof Error ? error.message : String(error), error);
  }
}
