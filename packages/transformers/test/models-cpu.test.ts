// The reference checks on the cpu backend (the readable specification).
import { modelSuite } from './model-suite.js';

modelSuite('cpu', null);
