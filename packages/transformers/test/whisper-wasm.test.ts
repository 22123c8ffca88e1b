// Whisper's reference checks on the wasm backend.
import '@tensile/backend-wasm';
import { backendUnavailable } from '@tensile/conformance/required-tools';
import { whisperSuite } from './whisper-suite.js';

const unavailable = await backendUnavailable('wasm');
whisperSuite('wasm', unavailable);
