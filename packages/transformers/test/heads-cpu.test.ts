// The encoders' task heads on the cpu backend (the readable specification).
import { headsSuite } from './heads-suite.js';

headsSuite('cpu', null);
