/**
 * The optional fused attention kernel (assembly/attention.ts): blocks of query rows of one
 * head, claimed from a counter by the worker pool, each walking the keys in tiles with an
 * online softmax, so the [L, S] scores never exist. Each thread's scratch holds one head's
 * packed k besides its block's state.
 */
import { isContiguous, type AttentionParams, type TensorView } from '@tensile/core';
import { addressOf } from '../buffer.js';
import { COUNTERS, kernelError, type Block, type Device } from '../device.js';
import { contiguousAddress, copy } from './elementwise.js';
import { PARALLEL_MACS } from './matmul.js';

/** Most query rows a thread claims at once (its q packed and its accumulators in the thread's scratch). */
const MAX_BLOCK_ROWS = 120;
/** Rows per block are a multiple of the kernel's panel of 6 rows. */
const PANEL_ROWS = 6;
/** Blocks per thread wanted, so that claiming evens out uneven blocks (causal ones above all). */
const BLOCKS_PER_THREAD = 4;

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Rows per block: as many as fit (up to MAX_BLOCK_ROWS) while every thread still gets several blocks, spread evenly over L. */
function blockRows(heads: number, L: number, nt: number): number {
  let rb = Math.min(MAX_BLOCK_ROWS, roundUp(L, PANEL_ROWS));
  while (rb > PANEL_ROWS && heads * Math.ceil(L / rb) < BLOCKS_PER_THREAD * nt) rb -= PANEL_ROWS;
  return roundUp(Math.ceil(L / Math.ceil(L / rb)), PANEL_ROWS);
}

export function attention(
  device: Device, q: TensorView, k: TensorView, v: TensorView, mask: TensorView | null, out: TensorView, lse: TensorView, params: AttentionParams,
): void {
  const [heads, L, E] = q.shape;
  const S = k.shape[1], Ev = v.shape[2];
  if (heads === 0 || L === 0) return;
  const blocks: Block[] = [];
  try {
    // The contract promises contiguous operands; stay correct if they are not.
    const input = (view: TensorView, what: string): number => {
      const { ptr, block } = contiguousAddress(device, view, what);
      if (block) blocks.push(block);
      return ptr;
    };
    const output = (view: TensorView, what: string): { ptr: number; tmp: TensorView | null } => {
      if (isContiguous(view.shape, view.strides)) return { ptr: addressOf(view), tmp: null };
      const tmp = device.temporary(view.shape, view.dtype, what);
      blocks.push(tmp.block);
      return { ptr: addressOf(tmp.view), tmp: tmp.view };
    };
    const pq = input(q, 'attention q'), pk = input(k, 'attention k'), pv = input(v, 'attention v');
    const o = output(out, 'attention output'), l = output(lse, 'attention lse');
    const nt0 = device.threadsFor(heads * L * S * (E + Ev), PARALLEL_MACS);
    const rb = blockRows(heads, L, nt0);
    const nt = Math.min(nt0, heads * Math.ceil(L / rb));
    const perThread = device.k.attention_scratch_bytes(rb, S, E, Ev);
    const scratch = device.scratch(nt * perThread, 'attention');
    blocks.push(scratch);
    const [msb, msl, mss] = mask ? mask.strides : [0, 0, 0];
    device.zeroCounters();
    device.run('attention_f32', [
      pq, pk, pv, mask ? addressOf(mask) : 0, o.ptr, l.ptr,
      heads, L, S, E, Ev, params.scale, params.causal ? 1 : 0, msb, msl, mss,
      rb, scratch[0], COUNTERS,
    ], nt);
    if (o.tmp) copy(device, o.tmp, out);
    if (l.tmp) copy(device, l.tmp, lse);
  } catch (error) {
    throw kernelError(error, `attention of ${heads} heads, L ${L}, S ${S}, E ${E}, Ev ${Ev}`, 'assembly/attention.ts');
  } finally {
    for (const block of blocks) device.release(block);
  }
}
