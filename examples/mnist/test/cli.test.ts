/**
 * `pnpm mnist`, the README's first command, as a new user runs it: from a fresh clone (git
 * clone of HEAD, `pnpm install --frozen-lockfile`, from the store when it has everything), with no data anywhere, so it builds what it
 * needs through turbo, picks a backend and says why better ones were passed over, and
 * downloads MNIST with a progress bar and checksums. The download mirror is a local HTTP
 * server on 127.0.0.1 over the shared data files (nothing leaves the machine). Also from
 * this checkout: the hint when the files are absent names the command's `--download` flag,
 * and a file with a bad checksum is refused and not kept.
 *
 * Needs git, pnpm and the shared MNIST files; without them the test skips with a reason,
 * and fails instead when TENSILE_REQUIRE_TOOLS=1 (CI).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
let repo = here;
while (!existsSync(path.join(repo, 'pnpm-workspace.yaml')) && path.dirname(repo) !== repo) repo = path.dirname(repo);
const dataDir = process.env.TENSILE_DATA ? path.resolve(process.env.TENSILE_DATA) : path.resolve(repo, '../shared/data');
const mnistDir = path.join(dataDir, 'mnist');
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = [
  ...(FILES.every((f) => existsSync(path.join(mnistDir, f))) ? [] : [`the MNIST files in ${mnistDir} (set TENSILE_DATA)`]),
  ...(has('git') ? [] : ['git']),
  ...(has('pnpm') ? [] : ['pnpm']),
];
if (missing.length) {
  const message = `the pnpm mnist CLI test needs ${missing.join(', ')}`;
  if (process.env.TENSILE_REQUIRE_TOOLS === '1') throw new Error(`${message} (TENSILE_REQUIRE_TOOLS=1)`);
  console.warn(`skipping: ${message}`);
}

/** A mirror over the shared files; `corrupt` names a file it serves with one byte flipped. */
function mirror(corrupt?: string): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(name);
    if (!FILES.includes(name)) {
      res.writeHead(404).end();
      return;
    }
    const bytes = readFileSync(path.join(mnistDir, name));
    if (name === corrupt) bytes[bytes.length >> 1] ^= 0xff;
    res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' }).end(bytes);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mnist/`, requests })),
  );
}

/** Run a command (asynchronously, so the mirror in this process keeps serving). */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string | undefined>, timeoutMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', FORCE_COLOR: '0', ...env };
    delete childEnv.TENSILE_DATA;
    delete childEnv.INIT_CWD;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    const child = spawn(cmd, args, { cwd, env: childEnv, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const temps: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
// The fresh clone's node_modules is a large tree: removing it can take well over the default
// 10 s hook timeout on a loaded machine.
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })), 180_000);

describe.runIf(missing.length === 0)('pnpm mnist', () => {
  let served: Awaited<ReturnType<typeof mirror>>;
  beforeAll(async () => {
    served = await mirror();
  });
  afterAll(() => served?.server.close());

  it('from a fresh clone: builds, picks a backend with reasons, downloads with progress and checksums, trains', async () => {
    const clone = path.join(temp('tensile-clone-'), 'tensile');
    const cloned = spawnSync('git', ['clone', '--quiet', '--no-local', repo, clone], { encoding: 'utf8' });
    expect(cloned.status, cloned.stderr).toBe(0);
    const install = await run('pnpm', ['install', '--prefer-offline', '--frozen-lockfile'], clone, {}, 300_000);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    const cache = temp('tensile-cache-');
    const args = ['mnist', '--mirror', served.url, '--epochs', '1', '--limit', '1000'];
    const first = await run('pnpm', args, clone, { TENSILE_CACHE: cache }, 400_000);
    const out = first.stdout + first.stderr;
    expect(first.code, out).toBe(0);
    // Built through turbo, then chose a backend and said why the better ones were passed over.
    expect(out).toMatch(/Tasks:\s+\d+ successful/);
    const backend = /^backend: (\w+) \(the best that started; registered: ([\w, ]+)\)/m.exec(first.stdout);
    expect(backend, first.stdout).not.toBeNull();
    const registered = backend![2].split(', ');
    const better = registered.slice(0, registered.indexOf(backend![1]));
    for (const name of better) expect(first.stdout).toMatch(new RegExp(`^  passed over ${name}: `, 'm'));
    if (/passed over webgpu: started on .*software/.test(first.stdout)) expect(backend![1]).toBe('wasm');
    // Downloaded every file once, with a progress bar, into the cache.
    expect([...served.requests].sort()).toEqual([...FILES].sort());
    for (const f of FILES) expect(first.stderr).toContain(`downloading mnist/${f}`);
    expect(first.stderr).toMatch(/100%/);
    expect(readdirSync(path.join(cache, 'mnist')).sort()).toEqual([...FILES].sort());
    expect(first.stdout).toMatch(/^test accuracy: \d+\.\d+% \(mlp, mnist, 1 epoch, backend \w+/m);

    // Again: turbo's cache and the data cache; nothing downloaded.
    served.requests.length = 0;
    const second = await run('pnpm', args, clone, { TENSILE_CACHE: cache }, 400_000);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout + second.stderr).toMatch(/Cached:\s+(\d+) cached, \1 total/);
    expect(served.requests).toEqual([]);
  }, 900_000);

  it('without the files and with --no-download, names the --download flag, not the API option', async () => {
    const cache = temp('tensile-cache-');
    const result = await run('pnpm', ['--filter', '@tensile/example-mnist', 'start', '--', '--no-download', '--backend', 'cpu'], repo, { TENSILE_CACHE: cache }, 120_000);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: MNIST files not found: train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz\nLooked in:\n/m);
    expect(result.stderr).toContain(`Run with --download to fetch them from https://ossci-datasets.s3.amazonaws.com/mnist/ into ${cache}`);
    expect(result.stderr).toContain('--data DIR');
    expect(result.stderr).not.toContain('{ download: true }');
  });

  it('refuses a download whose checksum does not match, and keeps nothing of it', async () => {
    const bad = await mirror('t10k-labels-idx1-ubyte.gz');
    try {
      const cache = temp('tensile-cache-');
      const result = await run('pnpm', ['--filter', '@tensile/example-mnist', 'start', '--', '--mirror', bad.url, '--backend', 'cpu', '--epochs', '1', '--limit', '64'], repo, { TENSILE_CACHE: cache }, 120_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/t10k-labels-idx1-ubyte\.gz \(from http:\/\/127\.0\.0\.1:\d+\/mnist\/t10k-labels-idx1-ubyte\.gz\): checksum mismatch: sha256 is [0-9a-f]{64}, expected f7ae60f9/);
      expect(existsSync(path.join(cache, 'mnist', 't10k-labels-idx1-ubyte.gz'))).toBe(false);
    } finally {
      bad.server.close();
    }
  });
});
