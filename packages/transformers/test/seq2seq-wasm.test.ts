// The encoder-decoder reference checks on the wasm backend.
import '@tensile/backend-wasm';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { seq2seqSuite } from './seq2seq-suite.js';

const unavailable = await backendUnavailable('wasm');
seq2seqSuite('wasm', unavailable);
