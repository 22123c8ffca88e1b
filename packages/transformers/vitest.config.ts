import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../../vitest.shared.js';

// The PyTorch reference fixtures are generated once per run, before any test file starts.
// Worker threads: chosen when the float16 fine-tuning runs (test/finetune-webgpu.test.ts)
// crashed the forked worker natively. The cause was lavapipe running out of memory mappings
// (one per descriptor set) while bind groups were made per dispatch; backend-webgpu now keeps
// one per buffer.
export default mergeConfig(packageConfig({ testTimeout: 300_000 }), { test: { globalSetup: ['test/global-setup.ts'], pool: 'threads' } });
