// Imported first by each DataLoader worker in the tests (worker.imports): registers ts-hooks.mjs.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
