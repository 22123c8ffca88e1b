// The encoders' task heads on the webgpu backend (Dawn in Node; llvmpipe without a GPU, so the
// fixtures are tiny). Without an adapter the file skips, naming the reason.
import '@tensile/backend-webgpu';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { headsSuite } from './heads-suite.js';

const unavailable = await backendUnavailable('webgpu');
headsSuite('webgpu', unavailable);
