// The encoders' task heads on the wasm backend.
import '@tensile/backend-wasm';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { headsSuite } from './heads-suite.js';

const unavailable = await backendUnavailable('wasm');
headsSuite('wasm', unavailable);
