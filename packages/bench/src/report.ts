/** Table and JSON output. */
import type { Measurement } from './harness.js';
import type { Metric } from './workloads/types.js';

export type Side =
  | { status: 'ok'; measurement: Measurement }
  | { status: 'error'; reason: string }
  | { status: 'skipped'; reason: string }
  | { status: 'unavailable'; reason: string };

export interface Row {
  id: string;
  family: string;
  title: string;
  unit: Metric['unit'];
  backend: string;
  /** "tfjs-cpu", or the tfjs backend that would be the peer. */
  peer: string;
  tensile: Side;
  peerSide: Side;
  /** Peer median time / Tensile median time: > 1 means Tensile is faster. */
  speedRatio: number | null;
  /** Largest relative difference between the two first outputs, and whether it is within tolerance. */
  agreement: { relDiff: number; tolerance: number; ok: boolean } | null;
}

/** Median, min and max in the metric's unit (rates: min comes from the slowest run). */
export function inUnit(metric: Metric, m: Measurement): { median: number; min: number; max: number } {
  if (metric.unit === 'ms') return { median: m.medianMs, min: m.minMs, max: m.maxMs };
  const perMs = metric.unit === 'steps/s' ? 1000 : metric.unit === 'tokens/s' ? metric.perRun * 1000 : metric.perRun / 1e6;
  const rate = (ms: number) => perMs / ms;
  return { median: rate(m.medianMs), min: rate(m.maxMs), max: rate(m.minMs) };
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toPrecision(2);
}

function cell(metric: Metric, side: Side): string {
  if (side.status !== 'ok') return side.status === 'error' ? 'error' : side.status;
  const v = inUnit(metric, side.measurement);
  const n = side.measurement.samplesMs.length;
  return `${fmt(v.median)} (${fmt(v.min)}–${fmt(v.max)})${n === 1 ? ' n=1' : ''}`;
}

const COLUMNS = [
  { title: 'workload', width: 40 },
  { title: 'backend', width: 7 },
  { title: 'tensile median (min–max)', width: 26 },
  { title: 'peer', width: 11 },
  { title: 'peer median (min–max)', width: 26 },
  { title: 'ratio T/peer (>1: T faster)', width: 27 },
  { title: 'check', width: 10 },
];

function line(cells: string[]): string {
  return cells.map((c, i) => c.padEnd(COLUMNS[i].width)).join(' | ').trimEnd();
}

export function header(): string {
  const head = line(COLUMNS.map((c) => c.title));
  return `${head}\n${'-'.repeat(head.length)}`;
}

export const RATIO_NOTE =
  'speed ratio = peer median time / Tensile median time: > 1 means Tensile is faster (2.0x = twice as fast); ' +
  'check = largest relative difference between the two libraries\' outputs on the same inputs.';

export function formatRow(row: Row, metric: Metric): string {
  const ratio = row.speedRatio === null ? '–' : `${row.speedRatio >= 10 ? row.speedRatio.toFixed(0) : row.speedRatio.toFixed(2)}x`;
  const check = row.agreement === null ? '–' : `${row.agreement.ok ? 'ok' : 'DIFF'} ${row.agreement.relDiff.toExponential(0)}`;
  const peer = row.peer === 'none' && row.peerSide.status === 'skipped' ? '–' : cell(metric, row.peerSide); // a Tensile-only row
  return line([`${row.title} [${metric.unit}]`, row.backend, cell(metric, row.tensile), row.peer, peer, ratio, check]);
}

/** Notes (errors, skips, single runs, leaks) to print under the table. */
export function rowNotes(row: Row): string[] {
  const out: string[] = [];
  const describe = (who: string, side: Side) => {
    if (side.status === 'ok') for (const n of side.measurement.notes) out.push(`${row.id} ${row.backend} ${who}: ${n}`);
    else if (side.status === 'unavailable') out.push(`${who} (peer of ${row.backend}) unavailable: ${side.reason}`);
    else if (side.status === 'skipped' && row.peer === 'none') out.push(`${row.id} ${row.backend}: Tensile only: ${side.reason}`);
    else if (side.reason !== '--no-peer') out.push(`${row.id} ${row.backend} ${who}: ${side.status}: ${side.reason}`);
  };
  describe('tensile', row.tensile);
  describe(row.peer, row.peerSide);
  if (row.agreement && !row.agreement.ok) {
    out.push(`${row.id} ${row.backend}: outputs differ from ${row.peer} by ${row.agreement.relDiff.toExponential(2)} (tolerance ${row.agreement.tolerance})`);
  }
  return out;
}
