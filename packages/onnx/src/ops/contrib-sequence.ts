// com.microsoft's operators on sequences and integers that onnxruntime's CPU runs:
// UnfoldTensor (torch's Tensor.unfold), DynamicTimeWarping (the alignment Whisper's word
// timestamps take from its cross-attention weights), WordConvEmbedding (character CNN word
// embeddings), MatMulInteger16, MurmurHash3 and QEmbedLayerNormalization (BERT's embeddings with
// uint8 or int8 tables).
import type { Tensor } from '@tensile/core';
import { Host, isHost, StringTensor, type Value } from '../value.js';
import { type OpContext, type OpSpec, type StringOpSpec, attrNumber, axisOf, hostOf, one, only, tensorOf, tl } from './context.js';
import { contribMathOps } from './contrib-math.js';
import { deviceOfAll, floats, quantizedType, required, scalar } from './quantize.js';

/** An int16 operand of MatMulInteger16: an int16 initializer (held as int32 values), or an int32 tensor computed here. */
function int16Operand(ctx: OpContext, v: Value | undefined, what: string, device: string): Tensor {
  const value = required(ctx, v, what);
  if (isHost(value) ? (value.element ?? value.dtype) !== 'int16' : value.dtype !== 'int32') {
    throw new Error(`${ctx.node}: ${what} must be int16 (onnxruntime's CPU kernel takes int16 A and B only), got ${isHost(value) ? (value.element ?? value.dtype) : `an ${value.dtype} tensor`}`);
  }
  return tensorOf(ctx, value, what, device).int();
}

const matMulInteger16: OpSpec = {
  attributes: [],
  run(ctx, [a, b]) {
    const device = deviceOfAll(ctx, [a, b]);
    // int32 products and sums, exact (16-bit products are below 2^31) and wrapping like onnxruntime's.
    return one(tl.matmul(int16Operand(ctx, a, 'A', device), int16Operand(ctx, b, 'B', device)));
  },
};

const unfoldTensor: OpSpec = {
  attributes: ['dim', 'size', 'step'],
  check(attrs) {
    const problems: string[] = [];
    if (typeof attrs.size !== 'number' || attrs.size < 1) problems.push(attrs.size === undefined ? 'attribute size is missing' : `attribute size=${JSON.stringify(attrs.size)} must be a positive integer`);
    if (attrs.step !== undefined && (typeof attrs.step !== 'number' || attrs.step < 1)) problems.push(`attribute step=${JSON.stringify(attrs.step)} must be a positive integer`);
    return problems;
  },
  run(ctx, [x], attrs) {
    const t = tensorOf(ctx, x, 'input');
    const dim = axisOf(ctx, attrNumber(attrs, 'dim', -1), t.rank);
    const size = attrNumber(attrs, 'size', 1);
    if (size > t.shape[dim]!) throw new Error(`${ctx.node}: size ${size} is larger than dim ${dim} of input [${t.shape}]`);
    // Windows along dim, each window's elements in a new last dim.
    return one(t.unfold(dim, size, attrNumber(attrs, 'step', 1)));
  },
};

/**
 * The lowest-cost monotonic path through a [rows, columns] cost matrix, as Whisper's
 * timing.dtw: each step moves diagonally, down or right, ties going right, then down; the
 * path's row and column indices, [2, length] int32.
 */
const dynamicTimeWarping: OpSpec = {
  attributes: [],
  run(ctx, [x]) {
    const input = hostOf(ctx, x, 'input');
    const shape = input.shape.length === 3 && input.shape[0] === 1 ? input.shape.slice(1) : input.shape;
    if (shape.length !== 2) throw new Error(`${ctx.node}: input of shape [${input.shape}] must be [rows, columns] or [1, rows, columns]`);
    const [rows, cols] = shape as [number, number];
    const cost = new Float64Array((rows + 1) * (cols + 1)).fill(Infinity);
    const trace = new Int8Array((rows + 1) * (cols + 1)).fill(-1);
    const at = (i: number, j: number) => i * (cols + 1) + j;
    cost[0] = 0;
    for (let j = 1; j <= cols; j++) {
      for (let i = 1; i <= rows; i++) {
        const [c0, c1, c2] = [cost[at(i - 1, j - 1)]!, cost[at(i - 1, j)]!, cost[at(i, j - 1)]!];
        const [c, t] = c0 < c1 && c0 < c2 ? [c0, 0] : c1 < c0 && c1 < c2 ? [c1, 1] : [c2, 2];
        // float32 sums, as onnxruntime's kernel keeps its costs.
        cost[at(i, j)] = Math.fround(input.data[(i - 1) * cols + (j - 1)]! + c);
        trace[at(i, j)] = t;
      }
    }
    for (let j = 0; j <= cols; j++) trace[at(0, j)] = 2;
    for (let i = 0; i <= rows; i++) trace[at(i, 0)] = 1;
    const path: [number, number][] = [];
    let [i, j] = [rows, cols];
    while (i > 0 || j > 0) {
      path.push([i - 1, j - 1]);
      const t = trace[at(i, j)];
      if (t === 0) [i, j] = [i - 1, j - 1];
      else if (t === 1) i -= 1;
      else if (t === 2) j -= 1;
      else throw new Error(`${ctx.node}: no path through the cost matrix (its costs are not finite)`);
    }
    path.reverse();
    return [new Host('int32', [2, path.length], [...path.map((p) => p[0]), ...path.map((p) => p[1])])];
  },
};

/** MurmurHash3_x86_32 of `bytes`, unsigned. */
function murmur32(bytes: Uint8Array, seed: number): number {
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  const mix = (k: number) => Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
  let h = seed | 0;
  const blocks = bytes.length >> 2;
  for (let i = 0; i < blocks; i++) {
    const k = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
    h = (Math.imul(rotl(h ^ mix(k), 13), 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let i = bytes.length - 1; i >= 4 * blocks; i--) tail = (tail << 8) | bytes[i]!;
  if (bytes.length & 3) h ^= mix(tail);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 (x86, 32-bit) of each key, on the host: an int32 or uint32 key's 4 little-endian
 * bytes, or a string's UTF-8 bytes. positive 1 (the default) makes onnxruntime's output uint32,
 * which runs here as int32 of the same bits, as uint32 tensors do.
 */
const murmurHash3: StringOpSpec = {
  strings: true,
  attributes: ['seed', 'positive'],
  check: (attrs) => only(attrs, 'positive', [0, 1]),
  run(ctx, [x], attrs) {
    const seed = attrNumber(attrs, 'seed', 0);
    if (x instanceof StringTensor) {
      const utf8 = new TextEncoder();
      return [new Host('int32', [...x.shape], x.data.map((k) => murmur32(utf8.encode(k), seed) | 0))];
    }
    const keys = hostOf(ctx, x, 'X');
    const type = keys.element ?? keys.dtype;
    if (type !== 'int32' && type !== 'uint32') throw new Error(`${ctx.node}: X must be int32, uint32 or string, got ${type}`);
    const word = new DataView(new ArrayBuffer(4));
    return [new Host('int32', [...keys.shape], Array.from(keys.data, (k) => {
      word.setUint32(0, Number(k) >>> 0, true);
      return murmur32(new Uint8Array(word.buffer), seed) | 0;
    }))];
  },
};

/**
 * EmbedLayerNormalization of tables quantized per tensor, (q - zero point) · scale: the
 * normalised sum and the mask index (each row's count of attended tokens), its two outputs.
 */
const qEmbedLayerNormalization: OpSpec = {
  attributes: ['epsilon'],
  outputs: 2,
  run(ctx, inputs, attrs) {
    const [ids, segments, words, positions, segmentTable, gamma, beta, mask] = inputs;
    const device = deviceOfAll(ctx, inputs);
    const names = ['word_embedding', 'position_embedding', 'segment_embedding', 'gamma', 'beta'];
    const tables = [words, positions, segmentTable, gamma, beta].map((q, i) => {
      const what = names[i]!;
      if (q === undefined) {
        if (i === 2) return undefined;
        throw new Error(`${ctx.node}: input ${what}_quant is missing`);
      }
      const zp = inputs[13 + i];
      quantizedType(ctx, zp, `${what}_zero_point`, null);
      return floats(ctx, q, `${what}_quant`, device).sub(scalar(ctx, zp, `${what}_zero_point`, device)).mul(scalar(ctx, inputs[8 + i], `${what}_scale`, device));
    });
    const [y, maskIndex] = contribMathOps.EmbedLayerNormalization!.run(ctx, [ids, segments, ...tables, mask], attrs.epsilon === undefined ? {} : { epsilon: attrs.epsilon });
    return [y!, maskIndex!];
  },
};

/**
 * Word embeddings from a character CNN, as onnxruntime's CPU kernel computes them: a word's
 * length is its count of characters above 0 (0 when its first is not), it spans at least the
 * filter width, and its embedding is the max over its windows of tanh(conv + bias), one value
 * per filter. onnxruntime leaves the rows of empty words unwritten; they are zeros here.
 */
const wordConvEmbedding: OpSpec = {
  attributes: ['embedding_size', 'conv_window_size', 'char_embedding_size'],
  run(ctx, [seq, w, b, c], attrs) {
    const sequence = hostOf(ctx, seq, 'Sequence');
    const device = deviceOfAll(ctx, [w, b, c]);
    const [W, bias, table] = [tensorOf(ctx, w, 'W', device), tensorOf(ctx, b, 'B', device), tensorOf(ctx, c, 'C', device)];
    if (sequence.shape.length !== 2) throw new Error(`${ctx.node}: Sequence of shape [${sequence.shape}] must be [sequence, word_length]`);
    const [S, L] = sequence.shape as [number, number];
    if (W.rank !== 4 || W.shape[1] !== 1 || table.rank !== 2 || W.shape[3] !== table.shape[1] || bias.size !== W.shape[0]) {
      throw new Error(`${ctx.node}: W [${W.shape}], B [${bias.shape}] and C [${table.shape}] must be [filters, 1, window, char_embedding], [filters] and [chars, char_embedding]`);
    }
    const [M, , fw, E] = W.shape as [number, number, number, number];
    for (const [name, value] of [['embedding_size', M], ['conv_window_size', fw], ['char_embedding_size', E]] as const) {
      const given = attrNumber(attrs, name, -1);
      if (given !== -1 && given !== value) throw new Error(`${ctx.node}: attribute ${name}=${given} does not match the weights' ${value}`);
    }
    if (fw > L) throw new Error(`${ctx.node}: conv window ${fw} is longer than the words' ${L} characters`);
    const chars = Array.from(sequence.data, Number);
    const bad = chars.find((ch) => ch < 0 || ch >= table.shape[0]!);
    if (bad !== undefined) throw new Error(`${ctx.node}: character ${bad} is out of range for a table of ${table.shape[0]}`);
    const lengths = Array.from({ length: S }, (_, i) => (chars[i * L]! > 0 ? chars.slice(i * L, (i + 1) * L).filter((ch) => ch > 0).length : 0));
    const windows = lengths.map((n) => (n > 0 ? Math.max(n, fw) - fw + 1 : 0));
    const U = Math.max(1, ...windows);
    // Each word's windows padded to U; a padded window reads character 0 and is left out of the max.
    const index = new Int32Array(S * U * fw);
    const pad = new Float32Array(S * U);
    for (let i = 0; i < S; i++) {
      for (let u = 0; u < U; u++) {
        if (u >= windows[i]!) pad[i * U + u] = 1;
        else for (let k = 0; k < fw; k++) index[(i * U + u) * fw + k] = chars[i * L + u + k]!;
      }
    }
    const rows = tl.indexSelect(table, 0, tl.tensor(index, { dtype: 'int32', device })).reshape([S, U, fw * E]);
    const act = tl.tanh(tl.matmul(rows, W.reshape([M, fw * E]).transpose(0, 1)).add(bias.reshape([M])));
    const padded = tl.tensor(pad, { device }).reshape([S, U, 1]).gt(0);
    const pooled = tl.where(padded, tl.full([S, U, M], -2, { device }), act).amax(1);
    const empty = tl.tensor(Float32Array.from(lengths, (n) => (n > 0 ? 0 : 1)), { device }).reshape([S, 1]).gt(0);
    return one(tl.where(empty, tl.zeros([S, M], { device }), pooled));
  },
};

export const contribSequenceOps: Record<string, OpSpec | StringOpSpec> = {
  WordConvEmbedding: wordConvEmbedding,
  QEmbedLayerNormalization: qEmbedLayerNormalization,
  MurmurHash3: murmurHash3,
  MatMulInteger16: matMulInteger16,
  UnfoldTensor: unfoldTensor,
  DynamicTimeWarping: dynamicTimeWarping,
};
