// The shared conformance suite (packages/conformance), run on the wasm backend with no skips.
// The cpu backend is registered beside it: the fuzz cases compare the two.
import '@tensile/backend-cpu';
import '../src/index.js';
import { runConformance } from '@tensile/conformance';

runConformance({ backend: 'wasm' });
