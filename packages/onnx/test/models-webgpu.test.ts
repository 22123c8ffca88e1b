// The PyTorch reference checks on the webgpu backend (Dawn in Node; on llvmpipe without a GPU,
// so only the small models). Without an adapter the file skips, naming the reason, unless
// TENSILE_REQUIRE_TOOLS makes that a failure.
import '@tensile/backend-webgpu';
import '@tensile/backend-cpu'; // control_flow's integer inputs, read on the host
import { exportSuite } from './export-suite.js';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { modelSuite } from './model-suite.js';

const unavailable = await backendUnavailable('webgpu');
modelSuite('webgpu', unavailable, ['mlp', 'cnn', 'recurrent', 'control_flow', 'gpt', 'bert', 'swin_tiny', 'vit_tiny']);
exportSuite('webgpu', unavailable);
