import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../../vitest.shared.js';

// The PyTorch reference fixtures are generated once per run, before any test file starts.
export default mergeConfig(packageConfig({ testTimeout: 300_000 }), { test: { globalSetup: ['test/global-setup.ts'] } });
