// `pnpm release`: build everything through turbo, then `changeset publish` (each package
// whose version is not on the registry yet, with provenance from its publishConfig).
// `pnpm release --dry-run`: the same build, then the pending version bumps
// (`changeset status --verbose`) and, per published package, `pnpm publish --dry-run`:
// the tarball's files and what would be published, without publishing or logging in.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dryRun = process.argv.includes('--dry-run');
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };

function run(cmd, args, cwd = root) {
  console.log(`\n$ ${cmd} ${args.join(' ')}${cwd === root ? '' : `   (in ${cwd.slice(root.length + 1)})`}`);
  const result = spawnSync(cmd, args, { cwd, env, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`release: ${cmd} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

run('node', ['scripts/package-metadata.mjs', '--check']);
run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
if (!dryRun) {
  run('pnpm', ['exec', 'changeset', 'publish']);
} else {
  run('pnpm', ['exec', 'changeset', 'status', '--verbose']);
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const file = join(root, 'packages', dir, 'package.json');
    if (!existsSync(file) || JSON.parse(readFileSync(file, 'utf8')).private) continue;
    // Built above; --ignore-scripts skips the prepack build a real publish runs.
    run('pnpm', ['publish', '--dry-run', '--no-git-checks', '--ignore-scripts'], join(root, 'packages', dir));
  }
  console.log('\nrelease --dry-run: nothing was published.');
}
