// The shared conformance suite (packages/conformance), run on the wasm backend with no skips.
import '../src/index.js';
import { runConformance } from '@tensile/conformance';

runConformance({ backend: 'wasm' });
