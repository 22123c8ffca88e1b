// Generate the PyTorch reference fixtures (tools/generate_fixtures.py) into the git-ignored
// cache .tensile-cache/fixtures, unless they are there already from the same generator.
import { fixturesReady } from './fixtures.js';

export default function setup(): void {
  fixturesReady();
}
