import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../../vitest.shared.js';

// The backbone is exported from PyTorch once per run (cached), before any test file starts.
export default mergeConfig(packageConfig({ testTimeout: 120_000 }), { test: { globalSetup: ['test/global-setup.ts'] } });
