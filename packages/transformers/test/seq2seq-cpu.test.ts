// The encoder-decoder reference checks on the cpu backend.
import { seq2seqSuite } from './seq2seq-suite.js';

seq2seqSuite('cpu', null);
