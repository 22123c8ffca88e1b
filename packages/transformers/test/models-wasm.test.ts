// The reference checks on the wasm backend.
import '@tensile/backend-wasm';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { modelSuite } from './model-suite.js';

const unavailable = await backendUnavailable('wasm');
modelSuite('wasm', unavailable);
