/**
 * `pnpm bench [--filter matmul,mlp] [--quick] [--json out.json] [--backends cpu,wasm]`
 *
 * Runs every workload on every registered Tensile backend and, in the same run, on the
 * matching TensorFlow.js backend (src/peers.ts); prints a table per workload and writes
 * JSON to bench-results/latest.json (and to --json PATH).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
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
              conv2d, elementwise, reduce, softmax, mlp, cnn
  --quick     a ~1-minute run: fewer sizes, smaller time budget per case
  --json      also write the results to this path (always written to bench-results/latest.json)
  --backends  Tensile backends to run (default: every registered one)
  --no-peer   skip the TensorFlow.js side
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      filter: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      backends: { type: 'string' },
      'wasm-threads': { type: 'string' },
      'no-peer': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }

  await loadOptionalBackends();
  const registered = tl.listBackends();
  const backends = values.backends ? values.backends.split(',').map((s) => s.trim()).filter(Boolean) : registered;
  for (const b of backends) {
    if (!registered.includes(b)) {
      throw new Error(`--backends: '${b}' is not registered (registered: ${registered.join(', ') || 'none'})`);
    }
  }
  // Dawn (webgpu) is started only after the other backends have run: with it loaded, the
  // cpu backend measured ~10% slower on the same work, so its rows would be understated.
  const ready: string[] = [];
  const deferred: string[] = backends.filter((b) => b === 'webgpu');
  for (const b of backends.filter((name) => !deferred.includes(name))) {
    try {
      await tl.ready(b);
      ready.push(b);
    } catch (error) {
      console.log(`skipping Tensile backend '${b}': ${(error as Error).message}`);
    }
  }

  // wasm runs once per thread count (tfjs-wasm in Node is single-threaded, so both rows meet it).
  const wasmThreads = (values['wasm-threads'] ?? '1,2').split(',').map(Number);
  if (wasmThreads.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--wasm-threads: expected positive integers, got '${values['wasm-threads']}'`);
  }
  const runs = ready.flatMap((backend) =>
    backend === 'wasm'
      ? wasmThreads.map((threads) => ({ backend, label: `wasm ${threads}t`, threads }))
      : [{ backend, label: backend, threads: 0 }],
  );

  const filters = values.filter?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  const cases = allCases().filter(
    (c) => (!values.quick || c.quick) && (filters.length === 0 || filters.some((f) => c.id.includes(f) || c.family === f)),
  );
  if (cases.length === 0) throw new Error(`--filter '${values.filter}' matches no case`);
  const options = values.quick ? QUICK : FULL;

  // tfjs's recommended setting for speed; it also silences its one-time hint about tfjs-node.
  tf.enableProdMode();

  const startedAt = new Date();
  const loadStart = os.loadavg();
  console.log(
    `Tensile bench — ${values.quick ? 'quick' : 'full'} run, ${cases.length} cases on ${[...ready, ...deferred].join(', ')}; ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, tfjs ${tf.version_core}; ` +
      `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(`budget per case and side: ${options.budgetMs} ms of timed runs, at least ${options.minReps} of them\n${RATIO_NOTE}\n`);

  const rows: Row[] = [];
  const notes: string[] = [];
  const peerMedians = new Map<string, number>();
  let family = '';

  const phases = [runs, deferred.map((backend) => ({ backend, label: backend, threads: 0 }))];
  for (const [phase, phaseRuns] of phases.entries()) {
    if (phase === 1) {
      for (const backend of deferred) {
        try {
          await tl.ready(backend);
          ready.push(backend);
        } catch (error) {
          console.log(`skipping Tensile backend '${backend}': ${(error as Error).message}`);
          phaseRuns.splice(phaseRuns.findIndex((r) => r.backend === backend), 1);
        }
      }
    }
    for (const c of cases) {
      const instance = c.init();
      for (const { backend, label, threads } of phaseRuns) {
        const only = PEERS[backend]?.onlyCases;
        if (only && !only.includes(c.id)) {
          const note = PEERS[backend].onlyNote ?? `${c.id} is not run on ${backend}`;
          if (!notes.includes(note)) notes.push(note);
          continue;
        }
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
        const peerLabel = spec ? `tfjs-${spec.tfjsBackend}` : 'none';
        let peerSide: Side | undefined;
        let peerRunner: Runner | string | undefined;
        const tfAtStart = tfLive();
        const skip = c.skipPeer?.((id) => peerMedians.get(`${backend}:${id}`));
        if (values['no-peer']) {
          peerSide = { status: 'skipped', reason: '--no-peer' };
        } else if (skip) {
          peerSide = { status: 'skipped', reason: skip };
        } else {
          try {
            const peer = await loadPeer(backend);
            await activatePeer(peer);
            peerRunner = await setUp(() => instance.peer({ tf, syncRead: peer.syncRead }));
          } catch (error) {
            peerSide = { status: 'unavailable', reason: (error as Error).message };
          }
        }

        // Measure both sides together, interleaved.
        const inputs: SideInput[] = [];
        if (typeof tensileRunner !== 'string') inputs.push({ runner: tensileRunner, liveTensors: tlLive });
        if (peerRunner !== undefined && typeof peerRunner !== 'string') inputs.push({ runner: peerRunner, liveTensors: tfLive });
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
        peerSide ??= toSide(peerResult, tfLive() - tfAtStart)!;
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
  }

  const loadEnd = os.loadavg();
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}`);

  const target = targetCheck(rows);
  if (target.length) console.log(`\nIssue target (backend-cpu at least 4x faster than tfjs-cpu):\n${target.map((t) => `  - ${t}`).join('\n')}`);
  const webgpuTarget = targetCheck(rows, 'webgpu', { 'matmul/256': 1, 'matmul/512': 1, 'matmul/1024': 1, 'mlp/784-512-256-10-b128': 2 });
  if (webgpuTarget.length) console.log(`\nIssue target (backend-webgpu at least as fast as tfjs-webgpu on matmul, 2x on the MLP step):\n${webgpuTarget.map((t) => `  - ${t}`).join('\n')}`);
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

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
