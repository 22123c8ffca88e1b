/**
 * `pnpm bench [--filter matmul,mlp] [--quick] [--json out.json] [--backends cpu,wasm]`
 *
 * Runs every workload on every registered Tensile backend and, in the same run, on the
 * matching TensorFlow.js backend (src/peers.ts); prints a table per workload and writes
 * JSON to bench-results/latest.json (and to --json PATH).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { FULL, measureSides, QUICK, type Runner, type SideInput, type SideResult } from './harness.js';
import { activatePeer, loadPeer, PEERS } from './peers.js';
import { formatRow, header, inUnit, RATIO_NOTE, type Row, rowNotes, type Side } from './report.js';
import { relativeDifference } from './data.js';
import { allCases, type Case } from './workloads/index.js';

const OPTIONAL_BACKENDS = ['@tensile/backend-wasm', '@tensile/backend-webgpu', '@tensile/backend-cuda'];

const USAGE = `usage: pnpm bench [--filter matmul,mlp] [--quick] [--json out.json] [--backends cpu,...] [--no-peer]
  --filter    run only cases whose id contains one of these (comma-separated): matmul, matmul/1024,
              conv2d, elementwise, reduce, softmax, mlp, cnn, resnet18, gpt2
  --quick     a ~1-minute run: fewer sizes, smaller time budget per case
  --json      also write the results to this path (always written to bench-results/latest.json)
  --backends  Tensile backends to run (default: every registered one)
  --no-peer   skip the peer side (TensorFlow.js, or a case's own peer such as onnxruntime-node)
  --wasm-threads  thread counts to run the wasm backend with, one row each (default 1,2)`;

/** Set the wasm backend's thread count and wait until that many workers run. */
async function useWasmThreads(threads: number): Promise<void> {
  const wasm = (await import('@tensile/backend-wasm')) as { setThreads(n: number): void; startThreads(timeoutMs?: number): Promise<number> };
  wasm.setThreads(threads);
  const running = await wasm.startThreads();
  if (running !== threads) console.log(`note: wasm asked for ${threads} threads, ${running} running`);
}

async function loadOptionalBackends(): Promise<void> {
  for (const name of OPTIONAL_BACKENDS) {
    try {
      const specifier: string = name;
      await import(specifier);
    } catch {
      // Not installed (or not built): skip silently.
    }
  }
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Set up one side's runner; a set-up error becomes the side's error. */
async function setUp(make: () => Runner | Promise<Runner>): Promise<Runner | string> {
  try {
    return await make();
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

function dispose(runner: Runner | string | undefined): void {
  if (runner === undefined || typeof runner === 'string') return;
  try {
    runner.dispose();
  } catch {
    // Nothing more to free.
  }
}

type Values = ReturnType<typeof parseOptions>;

function parseOptions() {
  return parseArgs({
    options: {
      filter: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      backends: { type: 'string' },
      'wasm-threads': { type: 'string' },
      'no-peer': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      // Internal: run one backend's rows in this process and write them to a file.
      'child-backend': { type: 'string' },
      'rows-out': { type: 'string' },
    },
    allowPositionals: false,
  }).values;
}

function selectedCases(values: Values): Case[] {
  const filters = values.filter?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  const cases = allCases().filter(
    (c) => (!values.quick || c.quick) && (filters.length === 0 || filters.some((f) => c.id.includes(f) || c.family === f)),
  );
  if (cases.length === 0) throw new Error(`--filter '${values.filter}' matches no case`);
  return cases;
}

/** What a child process hands back: its backend's rows and notes. */
interface ChildReport {
  rows: Row[];
  notes: string[];
}

async function main(): Promise<void> {
  const values = parseOptions();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values['child-backend']) await runBackend(values['child-backend'], values);
  else await runAll(values);
}

/**
 * Each Tensile backend is measured in a process of its own (with its TensorFlow.js peer), as
 * programs use one backend: a backend's threads or driver left in the process slowed the
 * next backend's rows and their peers' (after the wasm rows, cpu and tfjs-cpu ran 11-17%
 * slower; with Dawn loaded, cpu ~10%).
 */
async function runAll(values: Values): Promise<void> {
  await loadOptionalBackends();
  const registered = tl.listBackends();
  const backends = values.backends ? values.backends.split(',').map((s) => s.trim()).filter(Boolean) : registered;
  for (const b of backends) {
    if (!registered.includes(b)) {
      throw new Error(`--backends: '${b}' is not registered (registered: ${registered.join(', ') || 'none'})`);
    }
  }
  const cases = selectedCases(values);
  const options = values.quick ? QUICK : FULL;
  const startedAt = new Date();
  const loadStart = os.loadavg();
  console.log(
    `Tensile bench — ${values.quick ? 'quick' : 'full'} run, ${cases.length} cases on ${backends.join(', ')}, each backend in its own process; ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, tfjs ${tf.version_core}; ` +
      `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(`budget per case and side: ${options.budgetMs} ms of timed runs, at least ${options.minReps} of them\n${RATIO_NOTE}`);

  const rows: Row[] = [];
  const notes: string[] = [];
  const ready: string[] = [];
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'tensile-bench-'));
  try {
    for (const backend of backends) {
      const rowsOut = path.join(scratch, `${backend}.json`);
      const forwarded = ['filter', 'wasm-threads'].flatMap((k) => (values[k as 'filter'] ? [`--${k}`, values[k as 'filter']!] : []));
      if (values.quick) forwarded.push('--quick');
      if (values['no-peer']) forwarded.push('--no-peer');
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--child-backend', backend, '--rows-out', rowsOut, ...forwarded],
        { stdio: 'inherit' },
      );
      if (child.status !== 0 || !existsSync(rowsOut)) {
        console.log(`\nTensile backend '${backend}': its process ended with ${child.signal ?? `exit code ${child.status}`}; no rows`);
        continue;
      }
      const report = JSON.parse(readFileSync(rowsOut, 'utf8')) as ChildReport;
      if (report.rows.length) ready.push(backend);
      rows.push(...report.rows);
      for (const note of report.notes) if (!notes.includes(note)) notes.push(note);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const loadEnd = os.loadavg();
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}`);

  const target = targetCheck(rows);
  if (target.length) console.log(`\nIssue target (backend-cpu at least 4x faster than tfjs-cpu):\n${target.map((t) => `  - ${t}`).join('\n')}`);
  const webgpuTarget = targetCheck(rows, 'webgpu', { 'matmul/256': 1, 'matmul/512': 1, 'matmul/1024': 1, 'mlp/784-512-256-10-b128': 2 });
  if (webgpuTarget.length) console.log(`\nIssue target (backend-webgpu at least as fast as tfjs-webgpu on matmul, 2x on the MLP step):\n${webgpuTarget.map((t) => `  - ${t}`).join('\n')}`);
  const attention = attentionTarget(rows);
  if (attention.length) console.log(`\nIssue target (F.scaledDotProductAttention at least 1.5x faster than matmul + softmax on wasm and webgpu):\n${attention.map((t) => `  - ${t}`).join('\n')}`);
  const elapsed = (Date.now() - startedAt.getTime()) / 1000;
  console.log(`\nfinished in ${elapsed.toFixed(0)} s; load average at the end ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`);

  const report = {
    meta: {
      startedAt: startedAt.toISOString(),
      elapsedSeconds: elapsed,
      mode: values.quick ? 'quick' : 'full',
      commit: gitCommit(),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? null,
      loadAverageStart: loadStart,
      loadAverageEnd: loadEnd,
      tfjsVersion: tf.version_core,
      backends: ready,
      harness: options,
      ratio: 'speedRatio = peer median ms / Tensile median ms; > 1 means Tensile is faster',
    },
    results: rows.map((r) => ({
      id: r.id,
      family: r.family,
      title: r.title,
      unit: r.unit,
      backend: r.backend,
      tensile: sideJson(r.tensile, r.id, cases),
      peer: { name: r.peer, ...sideJson(r.peerSide, r.id, cases) },
      speedRatio: r.speedRatio,
      agreement: r.agreement,
    })),
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const latest = path.resolve(here, '..', 'bench-results', 'latest.json');
  const outputs = [latest];
  if (values.json) outputs.push(path.resolve(process.env.INIT_CWD ?? process.cwd(), values.json));
  for (const file of outputs) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  }
  const shown = (f: string) => {
    const rel = path.relative(process.env.INIT_CWD ?? process.cwd(), f);
    return rel.startsWith('..') ? f : rel;
  };
  console.log(`wrote ${outputs.map(shown).join(', ')}`);
}

/** One backend's rows (one per wasm thread count), each case beside its peer; run in a child process. */
async function runBackend(backend: string, values: Values): Promise<void> {
  const report: ChildReport = { rows: [], notes: [] };
  const finish = () => writeFileSync(values['rows-out']!, JSON.stringify(report));
  await loadOptionalBackends();
  try {
    await tl.ready(backend);
  } catch (error) {
    console.log(`\nskipping Tensile backend '${backend}': ${(error as Error).message}`);
    finish();
    return;
  }
  // wasm runs once per thread count (tfjs-wasm in Node is single-threaded, so both rows meet it).
  const wasmThreads = (values['wasm-threads'] ?? '1,2').split(',').map(Number);
  if (wasmThreads.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--wasm-threads: expected positive integers, got '${values['wasm-threads']}'`);
  }
  const runs = backend === 'wasm'
    ? wasmThreads.map((threads) => ({ label: `wasm ${threads}t`, threads }))
    : [{ label: backend, threads: 0 }];
  const cases = selectedCases(values);
  const options = values.quick ? QUICK : FULL;
  // tfjs's recommended setting for speed; it also silences its one-time hint about tfjs-node.
  tf.enableProdMode();

  const { rows, notes } = report;
  const peerMedians = new Map<string, number>();
  let family = '';
  for (const c of cases) {
    const only = PEERS[backend]?.onlyCases;
    if (only && !only.includes(c.id)) {
      const note = PEERS[backend].onlyNote ?? `${c.id} is not run on ${backend}`;
      if (!notes.includes(note)) notes.push(note);
      continue;
    }
    if (c.backends && !c.backends.only.includes(backend)) {
      if (!notes.includes(c.backends.note)) notes.push(c.backends.note);
      continue;
    }
    const instance = c.init();
    for (const { label, threads } of runs) {
      if (c.family !== family) {
        family = c.family;
        console.log(`\n${header()}`);
      }
      gc?.();
      await tl.setBackend(backend);
      if (threads) await useWasmThreads(threads);
      const tlLive = () => tl.memory().numTensors;
      const tfLive = () => tf.memory().numTensors;
      const tlAtStart = tlLive();
      const tensileRunner = await setUp(() => instance.tensile(tl, backend));

      const spec = PEERS[backend];
      const own = c.ownPeer; // a peer the case names (onnxruntime-node) instead of the tfjs one
      const noPeer = c.noPeer?.(backend) ?? (instance.peer ? undefined : 'the case has no peer');
      const peerLabel = noPeer ? 'none' : own ? own.label(threads) : spec ? `tfjs-${spec.tfjsBackend}` : 'none';
      let peerSide: Side | undefined;
      let peerRunner: Runner | string | undefined;
      const peerLive = own ? () => 0 : tfLive; // an own peer's tensors are not counted
      const peerAtStart = peerLive();
      const skip = c.skipPeer?.((id) => peerMedians.get(`${backend}:${id}`));
      if (noPeer) {
        peerSide = { status: 'skipped', reason: noPeer };
      } else if (values['no-peer']) {
        peerSide = { status: 'skipped', reason: '--no-peer' };
      } else if (skip) {
        peerSide = { status: 'skipped', reason: skip };
      } else {
        try {
          let syncRead = true;
          if (!own) {
            const peer = await loadPeer(backend);
            await activatePeer(peer);
            syncRead = peer.syncRead;
          }
          peerRunner = await setUp(() => instance.peer!({ tf, syncRead, threads }));
        } catch (error) {
          peerSide = { status: 'unavailable', reason: (error as Error).message };
        }
      }

      // Measure both sides together, interleaved.
      const inputs: SideInput[] = [];
      if (typeof tensileRunner !== 'string') inputs.push({ runner: tensileRunner, liveTensors: tlLive });
      if (peerRunner !== undefined && typeof peerRunner !== 'string') inputs.push({ runner: peerRunner, liveTensors: peerLive });
      const results = await measureSides(inputs, options);
      const resultOf = (runner: Runner | string | undefined): SideResult | undefined =>
        typeof runner === 'string' ? { ok: false, error: runner } : runner === undefined ? undefined : results[inputs.findIndex((i) => i.runner === runner)];
      dispose(tensileRunner);
      dispose(peerRunner);

      const toSide = (r: SideResult | undefined, leftOver: number): Side | undefined => {
        if (!r) return undefined;
        if (!r.ok) return { status: 'error', reason: r.error };
        if (leftOver !== 0) r.measurement.notes.push(`${leftOver} tensors still live after the case was disposed`);
        return { status: 'ok', measurement: r.measurement };
      };
      const tensileResult = resultOf(tensileRunner);
      const peerResult = resultOf(peerRunner);
      const tensile = toSide(tensileResult, tlLive() - tlAtStart)!;
      peerSide ??= toSide(peerResult, peerLive() - peerAtStart)!;
      if (peerSide.status === 'ok') peerMedians.set(`${backend}:${c.id}`, peerSide.measurement.medianMs);
      const tensileFirst = tensileResult?.ok ? tensileResult.firstOutput : undefined;
      const peerFirst = peerResult?.ok ? peerResult.firstOutput : undefined;

      const row: Row = {
        id: c.id,
        family: c.family,
        title: c.title,
        unit: c.metric.unit,
        backend: label,
        peer: peerLabel,
        tensile,
        peerSide,
        speedRatio:
          tensile.status === 'ok' && peerSide.status === 'ok' ? peerSide.measurement.medianMs / tensile.measurement.medianMs : null,
        agreement: null,
      };
      if (tensileFirst && peerFirst) {
        const relDiff = relativeDifference(tensileFirst, instance.peerToTensile ? instance.peerToTensile(peerFirst) : peerFirst);
        row.agreement = { relDiff, tolerance: c.tolerance, ok: relDiff <= c.tolerance };
      }
      rows.push(row);
      console.log(formatRow(row, c.metric));
      for (const note of rowNotes(row)) if (!notes.includes(note)) notes.push(note);
    }
  }
  finish();
}

/** A side for JSON, with the rate in the workload's unit next to the raw milliseconds. */
function sideJson(side: Side, id: string, cases: Case[]) {
  if (side.status !== 'ok') return side;
  const metric = cases.find((c) => c.id === id)!.metric;
  return { status: side.status, unit: metric.unit, ...inUnit(metric, side.measurement), ...side.measurement };
}

function targetCheck(
  rows: Row[],
  backend = 'cpu',
  targets: Record<string, number> = { 'matmul/512': 4, 'matmul/1024': 4, 'mlp/784-512-256-10-b128': 4 },
): string[] {
  const out: string[] = [];
  for (const [id, target] of Object.entries(targets)) {
    const row = rows.find((r) => r.backend === backend && r.id === id);
    if (!row) continue;
    out.push(
      row.speedRatio === null
        ? `${id}: no ratio (${row.tensile.status} / ${row.peerSide.status})`
        : `${id}: ${row.speedRatio.toFixed(2)}x — ${row.speedRatio >= target ? 'met' : 'NOT met'} (target ${target}x)`,
    );
  }
  return out;
}

/** The SDPA rows against the matmul + softmax rows of the same backend: time ratio, target 1.5x. */
function attentionTarget(rows: Row[]): string[] {
  const out: string[] = [];
  for (const backend of [...new Set(rows.map((r) => r.backend))]) {
    for (const variant of ['', '-causal']) {
      const fused = rows.find((r) => r.backend === backend && r.id === `attention/sdpa${variant}/512x64`);
      const plain = rows.find((r) => r.backend === backend && r.id === `attention/matmul-softmax${variant}/512x64`);
      const median = (r: Row | undefined) => (r?.tensile.status === 'ok' ? r.tensile.measurement.medianMs : undefined);
      const a = median(fused);
      const b = median(plain);
      if (a === undefined || b === undefined) continue;
      const ratio = b / a;
      const wanted = backend.startsWith('wasm') || backend === 'webgpu';
      out.push(`${backend} attention${variant} 512x64: ${ratio.toFixed(2)}x${wanted ? ` — ${ratio >= 1.5 ? 'met' : 'NOT met'} (target 1.5x)` : ' (no target on this backend)'}`);
    }
  }
  return out;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
