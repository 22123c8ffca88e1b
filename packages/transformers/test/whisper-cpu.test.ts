// Whisper's reference checks on the cpu backend.
import { whisperSuite } from './whisper-suite.js';

whisperSuite('cpu', null);
