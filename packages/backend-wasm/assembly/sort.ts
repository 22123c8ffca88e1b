// sort: the first k elements of each row of a [rows, n] view (4-byte elements: float32 or
// int32) in stable order. The method is the cpu backend's (its kernels/sort.ts): every
// element becomes a 32-bit key whose unsigned order is the order wanted (NaN above
// +Infinity, -0 equal to +0, all bits flipped for descending); rows sort as (key, position)
// pairs by a least-significant-digit radix sort (stable, passes skipped where every key
// shares the digit), by insertion for short rows, or, for a small k, through a heap of the
// k best seen so far.
//
// Rows are split across threads: thread tid takes rows tid, tid + nt, ... and works in its
// own scratch, sort_scratch_bytes(n) from scratch + tid * sort_scratch_bytes(n).

const SHORT_ROW: i32 = 32;

/** Bytes of one thread's scratch: the row, keys, positions, their spares, four histograms. */
export function sort_scratch_bytes(n: i32): i32 {
  return n * 20 + 4 * 256 * 4;
}

@inline function keyAt(keys: usize, i: i32): u32 {
  return load<u32>(keys + (<usize>i << 2));
}

@inline function posAt(order: usize, i: i32): i32 {
  return load<i32>(order + (<usize>i << 2));
}

/** Whether (key of position a, a) comes after (key of position b, b). */
@inline function after(keys: usize, a: i32, b: i32): bool {
  const ka = keyAt(keys, a), kb = keyAt(keys, b);
  return ka > kb || (ka == kb && a > b);
}

/** The sortable key of an element's bits. */
@inline function keyOf(b: u32, float: bool, flip: u32): u32 {
  let key: u32;
  if (!float) key = b ^ 0x80000000;
  else if ((b & 0x7fffffff) > 0x7f800000) key = 0xffffffff; // NaN, any sign and payload
  else if (b == 0x80000000) key = 0x80000000; // -0 sorts as +0
  else key = b & 0x80000000 ? ~b : b | 0x80000000;
  return key ^ flip;
}

/** Positions 0..n-1 sorted by (key, position); returns where they are (order or spareOrder). */
function sortPositions(keys: usize, n: i32, order: usize, spareKeys: usize, spareOrder: usize, counts: usize): usize {
  for (let i = 0; i < n; i++) store<i32>(order + (<usize>i << 2), i);
  if (n <= SHORT_ROW) {
    for (let i = 1; i < n; i++) {
      const key = keyAt(keys, i);
      let j = i - 1;
      while (j >= 0 && keyAt(keys, j) > key) {
        store<u32>(keys + (<usize>(j + 1) << 2), keyAt(keys, j));
        store<i32>(order + (<usize>(j + 1) << 2), posAt(order, j));
        j--;
      }
      store<u32>(keys + (<usize>(j + 1) << 2), key);
      store<i32>(order + (<usize>(j + 1) << 2), i);
    }
    return order;
  }
  memory.fill(counts, 0, 4 * 256 * 4);
  for (let i = 0; i < n; i++) {
    const key = keyAt(keys, i);
    const c0 = counts + (<usize>(key & 0xff) << 2);
    const c1 = counts + 1024 + (<usize>((key >>> 8) & 0xff) << 2);
    const c2 = counts + 2048 + (<usize>((key >>> 16) & 0xff) << 2);
    const c3 = counts + 3072 + (<usize>(key >>> 24) << 2);
    store<i32>(c0, load<i32>(c0) + 1);
    store<i32>(c1, load<i32>(c1) + 1);
    store<i32>(c2, load<i32>(c2) + 1);
    store<i32>(c3, load<i32>(c3) + 1);
  }
  let fromKeys = keys, fromOrder = order, toKeys = spareKeys, toOrder = spareOrder;
  for (let pass = 0; pass < 4; pass++) {
    const base = counts + (<usize>pass << 10);
    const shift = <u32>(pass * 8);
    // Every key has the same digit here: the pass would not move anything.
    if (load<i32>(base + (<usize>((keyAt(fromKeys, 0) >>> shift) & 0xff) << 2)) == n) continue;
    let at = 0;
    for (let d = 0; d < 256; d++) {
      const slot = base + (<usize>d << 2);
      const c = load<i32>(slot);
      store<i32>(slot, at);
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const key = keyAt(fromKeys, i);
      const slot = base + (<usize>((key >>> shift) & 0xff) << 2);
      const to = load<i32>(slot);
      store<i32>(slot, to + 1);
      store<u32>(toKeys + (<usize>to << 2), key);
      store<i32>(toOrder + (<usize>to << 2), posAt(fromOrder, i));
    }
    const k = fromKeys; fromKeys = toKeys; toKeys = k;
    const o = fromOrder; fromOrder = toOrder; toOrder = o;
  }
  return fromOrder;
}

function siftDown(keys: usize, heap: usize, size: i32, from: i32): void {
  let i = from;
  while (true) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    const worst = r < size && after(keys, posAt(heap, r), posAt(heap, l)) ? r : l;
    const pw = posAt(heap, worst), pi = posAt(heap, i);
    if (!after(keys, pw, pi)) return;
    store<i32>(heap + (<usize>i << 2), pw);
    store<i32>(heap + (<usize>worst << 2), pi);
    i = worst;
  }
}

/** The positions of the first k elements of the order, in order, into `heap`. */
function selectPositions(keys: usize, n: i32, k: i32, heap: usize): void {
  let size = 0;
  for (let p = 0; p < n; p++) {
    if (size < k) {
      let i = size++;
      store<i32>(heap + (<usize>i << 2), p);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const pp = posAt(heap, parent);
        if (!after(keys, p, pp)) break;
        store<i32>(heap + (<usize>i << 2), pp);
        store<i32>(heap + (<usize>parent << 2), p);
        i = parent;
      }
    } else if (keyAt(keys, p) < keyAt(keys, posAt(heap, 0))) {
      // A later position with an equal key is not better: ties go to the earlier one.
      store<i32>(heap, p);
      siftDown(keys, heap, size, 0);
    }
  }
  // Pop the worst to the end until one is left: the heap ends up in order.
  while (size > 1) {
    const last = --size;
    const top = posAt(heap, 0);
    store<i32>(heap, posAt(heap, last));
    store<i32>(heap + (<usize>last << 2), top);
    siftDown(keys, heap, size, 0);
  }
}

/**
 * Sort rows of x (element (r, i) at x + r * rowStride + i * step, in bytes) into values
 * and indices ([rows, k] contiguous). `heap` selects the first k through a heap.
 */
export function sort_rows(
  float: i32, descending: i32, x: usize, rowStride: i32, step: i32, n: i32, rows: i32,
  values: usize, indices: usize, k: i32, heap: i32, scratch: usize, tid: i32, nt: i32,
): void {
  const mine = scratch + <usize>(tid * sort_scratch_bytes(n));
  const nBytes = <usize>n << 2;
  const row = mine;
  const keys = row + nBytes;
  const order = keys + nBytes;
  const spareKeys = order + nBytes;
  const spareOrder = spareKeys + nBytes;
  const counts = spareOrder + nBytes;
  const flip: u32 = descending ? 0xffffffff : 0;
  const isFloat = float != 0;
  for (let r = tid; r < rows; r += nt) {
    let at = x + <usize>(r * rowStride);
    for (let i = 0; i < n; i++, at += <usize>step) {
      const b = load<u32>(at);
      store<u32>(row + (<usize>i << 2), b);
      store<u32>(keys + (<usize>i << 2), keyOf(b, isFloat, flip));
    }
    let sorted = order;
    if (heap) selectPositions(keys, n, k, order);
    else sorted = sortPositions(keys, n, order, spareKeys, spareOrder, counts);
    const vOut = values + (<usize>(r * k) << 2);
    const iOut = indices + (<usize>(r * k) << 2);
    for (let j = 0; j < k; j++) {
      const p = posAt(sorted, j);
      store<u32>(vOut + (<usize>j << 2), load<u32>(row + (<usize>p << 2)));
      store<i32>(iOut + (<usize>j << 2), p);
    }
  }
}
