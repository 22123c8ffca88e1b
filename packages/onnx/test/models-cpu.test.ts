// The PyTorch reference checks on the cpu backend (the readable specification).
import '@tensile/backend-cpu';
import { modelSuite } from './model-suite.js';

modelSuite('cpu', null);
