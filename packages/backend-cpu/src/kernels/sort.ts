/**
 * sort: the first `k` elements of each row of a `[rows, n]` view in stable order.
 *
 * Every element becomes a 32-bit key whose unsigned order is the order wanted (NaN above
 * +Infinity, -0 equal to +0, every bit flipped for descending), so rows sort as (key,
 * position) pairs:
 * - a least-significant-digit radix sort of the keys, carrying positions (stable by
 *   construction, four passes of 8 bits, a pass skipped when every key shares its digit);
 * - insertion sort for short rows;
 * - for a small `k` (top-k), a heap of the `k` best seen so far, then those sorted.
 */
import type { TensorView } from '@tensile/core';
import { dataOf } from '../buffer.js';

/** Rows up to this long sort by insertion. */
const SHORT_ROW = 32;
/** Top-k keeps a heap when `k` is at most this, and at most 1/8 of the row. */
const HEAP_K = 512;

/** Write the sortable keys of `row` (its elements as float32 bits or int32) into `keys`. */
function makeKeys(row: Float32Array | Int32Array, bits: Uint32Array, n: number, float: boolean, descending: boolean, keys: Uint32Array): void {
  const flip = descending ? 0xffffffff : 0;
  for (let i = 0; i < n; i++) {
    let key: number;
    if (float) {
      const b = bits[i];
      const v = row[i];
      if (v !== v) key = 0xffffffff; // every NaN, whatever its sign and payload
      else if (b === 0x80000000) key = 0x80000000; // -0 sorts as +0
      else key = b & 0x80000000 ? ~b : b | 0x80000000;
    } else {
      key = row[i] ^ 0x80000000;
    }
    keys[i] = (key ^ flip) >>> 0;
  }
}

/** Sort positions 0..n-1 by (key, position) into `order`: radix or insertion sort. */
function sortPositions(keys: Uint32Array, n: number, order: Int32Array, spareKeys: Uint32Array, spareOrder: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) order[i] = i;
  if (n <= SHORT_ROW) {
    for (let i = 1; i < n; i++) {
      const key = keys[i];
      let j = i - 1;
      while (j >= 0 && keys[j] > key) {
        keys[j + 1] = keys[j];
        order[j + 1] = order[j];
        j--;
      }
      keys[j + 1] = key;
      order[j + 1] = i;
    }
    return order;
  }
  const counts = new Int32Array(4 * 256);
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    counts[key & 0xff]++;
    counts[256 + ((key >>> 8) & 0xff)]++;
    counts[512 + ((key >>> 16) & 0xff)]++;
    counts[768 + (key >>> 24)]++;
  }
  let fromKeys = keys, fromOrder = order, toKeys = spareKeys, toOrder = spareOrder;
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 256;
    const shift = pass * 8;
    // Every key has the same digit here: the pass would not move anything.
    if (counts[base + ((fromKeys[0] >>> shift) & 0xff)] === n) continue;
    let at = 0;
    for (let d = 0; d < 256; d++) {
      const c = counts[base + d];
      counts[base + d] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const key = fromKeys[i];
      const slot = counts[base + ((key >>> shift) & 0xff)]++;
      toKeys[slot] = key;
      toOrder[slot] = fromOrder[i];
    }
    [fromKeys, toKeys] = [toKeys, fromKeys];
    [fromOrder, toOrder] = [toOrder, fromOrder];
  }
  return fromOrder;
}

/** Whether (key a, position a) comes after (key b, position b). */
function after(keys: Uint32Array, a: number, b: number): boolean {
  return keys[a] > keys[b] || (keys[a] === keys[b] && a > b);
}

/** The positions of the `k` first elements of the order, in order, into `order`. */
function selectPositions(keys: Uint32Array, n: number, k: number, order: Int32Array): void {
  // A heap of positions whose root is the last of the k best seen so far.
  const heap = order;
  let size = 0;
  const siftDown = (from: number): void => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      const r = l + 1;
      const worst = r < size && after(keys, heap[r], heap[l]) ? r : l;
      if (!after(keys, heap[worst], heap[i])) return;
      [heap[i], heap[worst]] = [heap[worst], heap[i]];
      i = worst;
    }
  };
  for (let p = 0; p < n; p++) {
    if (size < k) {
      let i = size++;
      heap[i] = p;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!after(keys, heap[i], heap[parent])) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (keys[p] < keys[heap[0]]) {
      // A later position with an equal key is not better: ties go to the earlier one.
      heap[0] = p;
      siftDown(0);
    }
  }
  // Pop the worst to the end, k times: the heap array ends up in order.
  while (size > 1) {
    const last = --size;
    [heap[0], heap[last]] = [heap[last], heap[0]];
    siftDown(0);
  }
}

export function sort(x: TensorView, descending: boolean, values: TensorView, indices: TensorView): void {
  const [rows, n] = x.shape;
  const k = values.shape[1];
  const xd = dataOf(x) as Float32Array | Int32Array;
  const vd = dataOf(values) as Float32Array | Int32Array;
  const id = dataOf(indices) as Int32Array;
  const float = x.dtype !== 'int32';
  const row = float ? new Float32Array(n) : new Int32Array(n);
  const bits = new Uint32Array(row.buffer);
  const keys = new Uint32Array(n);
  const order = new Int32Array(n);
  const heap = k * 8 <= n && k <= HEAP_K;
  const spareKeys = heap ? keys : new Uint32Array(n);
  const spareOrder = heap ? order : new Int32Array(n);
  const [rowStride, step] = x.strides;
  for (let r = 0; r < rows; r++) {
    for (let i = 0, at = x.offset + r * rowStride; i < n; i++, at += step) row[i] = xd[at];
    makeKeys(row, bits, n, float, descending, keys);
    let sorted: Int32Array<ArrayBufferLike> = order;
    if (heap) selectPositions(keys, n, k, order);
    else sorted = sortPositions(keys, n, order, spareKeys, spareOrder);
    const out = r * k;
    for (let j = 0; j < k; j++) {
      const p = sorted[j];
      vd[out + j] = row[p];
      id[out + j] = p;
    }
  }
}
