/** Batched matmul (assembly/matmul.ts): a list of PRODUCT records, one GEMM each. */
import { collapseDims, sizeOf, type TensorView } from '@tensile/core';
import { addressOf } from '../buffer.js';
import { COUNTER_SLOTS, COUNTERS, LIST, LIST_BYTES, type Device } from '../device.js';
import { PRODUCT, wordsOf } from '../layouts.js';

/** Multiply-adds below which a GEMM stays on the calling thread (a 128^3 product, 2M, ran slower on 2 threads than on 1). */
export const PARALLEL_MACS = 1 << 22;

/** Rows (M) up to which a product reads B in place (matmul_small_f32) instead of packing it (assembly's SMALL_M). */
export const SMALL_M = 8;
/**
 * Bytes of B from which a small-M product is split across threads: it is bound by reading
 * B, so the split goes by bytes read, not multiply-adds.
 */
export const SMALL_PARALLEL_BYTES = 1 << 20;
/** Column tickets per thread of a threaded small-M product (so a late thread leaves its share to the others). */
const SMALL_TICKETS_PER_THREAD = 4;

/**
 * Which small-M kernel takes a product of these strides: 'dot' for B a transposed view of
 * rows contiguous along K (A's rows contiguous too), 'axpy' for B with contiguous rows, else
 * null (the GEMM packs it).
 */
export function smallPath(m: number, n: number, k: number, csA: number, rsB: number, csB: number): 'dot' | 'axpy' | null {
  if (m > SMALL_M || k === 0) return null;
  const dot = rsB === 1 && (csA === 1 || k === 1);
  const axpy = csB === 1;
  if (dot && axpy) return n < k ? 'dot' : 'axpy';
  return dot ? 'dot' : axpy ? 'axpy' : null;
}

const ENTRY = wordsOf(PRODUCT);

/** `a` [...batch, M, K] times `b` [...batch, K, N] into `out` [...batch, M, N], float32 (core's matmul takes nothing else). */
export function matmul(device: Device, a: TensorView, b: TensorView, out: TensorView): void {
  const rank = out.shape.length;
  const m = out.shape[rank - 2], n = out.shape[rank - 1], k = a.shape[rank - 1];
  const count = sizeOf(out.shape.slice(0, -2));
  if (m === 0 || n === 0 || count === 0) return;
  // Byte addresses of every product in the batch, in row-major batch order.
  const batch = collapseDims(out.shape.slice(0, -2), [a.strides.slice(0, -2), b.strides.slice(0, -2), out.strides.slice(0, -2)]);
  const listBytes = count * ENTRY.words * 4;
  const owned = listBytes > LIST_BYTES ? device.scratch(listBytes, 'matmul batch list') : null;
  const list = owned ? owned[0] : LIST;
  const i32 = device.i32();
  const base = [addressOf(a), addressOf(b), addressOf(out)];
  const dims = batch.shape, nd = dims.length;
  const counter = new Array<number>(nd).fill(0);
  const offs = [0, 0, 0];
  for (let i = 0, at = list >> 2; i < count; i++, at += ENTRY.words) {
    i32[at + ENTRY.at.a] = base[0] + offs[0] * 4;
    i32[at + ENTRY.at.b] = base[1] + offs[1] * 4;
    i32[at + ENTRY.at.c] = base[2] + offs[2] * 4;
    for (let d = nd - 1; d >= 0; d--) {
      if (++counter[d] < dims[d]) {
        for (let v = 0; v < 3; v++) offs[v] += batch.strides[v][d];
        break;
      }
      counter[d] = 0;
      for (let v = 0; v < 3; v++) offs[v] -= batch.strides[v][d] * (dims[d] - 1);
    }
  }
  try {
    const csA = a.strides[rank - 1], rsB = b.strides[rank - 2], csB = b.strides[rank - 1];
    const path = smallPath(m, n, k, csA, rsB, csB);
    if (path) {
      const nt = device.threadsFor(count * n * k * 4, SMALL_PARALLEL_BYTES);
      // Columns per ticket: about SMALL_TICKETS_PER_THREAD tickets per thread over the batch, in multiples of 16.
      const parts = nt > 1 ? Math.max(1, Math.ceil((nt * SMALL_TICKETS_PER_THREAD) / count)) : 1;
      const chunk = Math.min(n, Math.ceil(Math.ceil(n / parts) / 16) * 16);
      device.zeroCounters(1);
      device.run('matmul_small_f32', [
        list, count, m, n, k,
        a.strides[rank - 2], csA, rsB, csB, out.strides[rank - 2], path === 'dot' ? 1 : 0, chunk, COUNTERS,
      ], nt);
      return;
    }
    const nt = device.threadsFor(count * m * n * k, PARALLEL_MACS);
    const scratch = device.gemmScratchFor(nt);
    device.zeroCounters(COUNTER_SLOTS);
    device.run('matmul_f32', [
      list, count, m, n, k,
      a.strides[rank - 2], a.strides[rank - 1], b.strides[rank - 2], b.strides[rank - 1], out.strides[rank - 2],
      scratch, COUNTERS,
    ], nt);
  } finally {
    if (owned) device.release(owned);
  }
}
