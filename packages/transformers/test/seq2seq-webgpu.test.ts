// The encoder-decoder reference checks on the webgpu backend (Dawn in Node, llvmpipe without a
// GPU: the fixtures are tiny, and the cache-free greedy run is left to cpu and wasm).
import '@tensile/backend-webgpu';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { seq2seqSuite } from './seq2seq-suite.js';

const unavailable = await backendUnavailable('webgpu');
seq2seqSuite('webgpu', unavailable, { noCache: false });
