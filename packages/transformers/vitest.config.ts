import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../../vitest.shared.js';

// The PyTorch reference fixtures are generated once per run, before any test file starts.
// Worker threads, not forks: the forked worker crashed natively midway through the float16
// fine-tuning runs (test/finetune-webgpu.test.ts, 5 of 5 tries; SIGSEGV on a thread of
// lavapipe, the software Vulkan driver), while the same runs pass in worker threads and in
// plain Node for hundreds of steps.
export default mergeConfig(packageConfig({ testTimeout: 300_000 }), { test: { globalSetup: ['test/global-setup.ts'], pool: 'threads' } });
