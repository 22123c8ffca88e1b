// Opset 23 to 25's Attention in graphs: a decoding step that updates its caches with
// TensorScatter and rotates with RotaryEmbedding, and a prompt then a step through past and
// present, each against onnxruntime-node; where the spec and onnxruntime 1.30 part, the
// spec's meaning checked against onnxruntime on an equivalent graph; and the gradients.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { type AttrSpec, buildModel, type ModelSpec } from './build-model.js';
import { matchesOnnxruntime } from './onnxruntime.js';

const TOL = 1e-5;

function random(n: number, seed: number, [lo, hi]: [number, number] = [-1, 1]): number[] {
  let s = seed * 7919 + 17;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + (hi - lo) * (s / 2147483648);
  });
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** One Attention node on float graph inputs x0, x1, ... ('' leaves an input out), with initializers after them. */
function attentionModel(shapes: (number[] | null)[], attrs: Record<string, AttrSpec>, opset: number, outputs = 1, initializers: ModelSpec['initializers'] = [], names?: string[]): Uint8Array {
  const inputs = shapes.flatMap((shape, i) => (shape ? [{ name: `x${i}`, shape }] : []));
  const outs = Array.from({ length: outputs }, (_, i) => `out${i}`);
  return buildModel({
    inputs, outputs: outs, initializers, opset,
    nodes: [{ op: 'Attention', name: 'n', inputs: names ?? shapes.map((s, i) => (s ? `x${i}` : '')), outputs: outs, attrs }],
  });
}

/** Tensile's outputs for `bytes` on `feeds`. */
async function ours(bytes: Uint8Array, feeds: number[][][]): Promise<number[][]> {
  const m = await loadOnnx(bytes);
  const out = m.forward(...feeds.map(([shape, values]) => tl.tensor(values!).reshape(shape!)));
  const outs = Array.isArray(out) ? (out as tl.Tensor[]) : [out as tl.Tensor];
  const result = outs.map((t) => Array.from(t.dataSync() as Float32Array));
  m.dispose();
  return result;
}

/** onnxruntime's outputs for `bytes` on feeds x0, x1, ... */
async function theirs(bytes: Uint8Array, feeds: number[][][], names: string[]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(bytes);
  const got = await session.run(Object.fromEntries(feeds.map(([shape, values], i) => [names[i]!, new ort.Tensor('float32', Float32Array.from(values!), shape!)])));
  return Object.keys(got).sort().map((k) => Array.from(got[k]!.data as Float32Array));
}

function close(a: number[], b: number[], what: string): void {
  expect(a.length, what).toBe(b.length);
  const bad = a.map((v, i) => [i, v, b[i]!]).filter(([, v, w]) => !(Math.abs(v! - w!) <= TOL + TOL * Math.abs(w!)));
  expect(bad.slice(0, 5), `${what}: ${bad.length} of ${a.length} differ`).toEqual([]);
}

describe('Attention (opsets 23 to 25) in graphs, against onnxruntime', () => {
  it('a decoding step: RotaryEmbedding on Q and K, TensorScatter into fixed-size caches, then grouped-query Attention over the valid keys', async () => {
    // Batch 2, one new token, 4 query heads and 2 kv heads of size 4, caches of 6 positions;
    // entry 0 has 3 tokens cached, entry 1 has 1.
    const [B, Nq, Nkv, H, M] = [2, 4, 2, 4, 6];
    await matchesOnnxruntime({
      opset: 24,
      inputs: [
        { name: 'q', shape: [B, Nq, 1, H] }, { name: 'k', shape: [B, Nkv, 1, H] }, { name: 'v', shape: [B, Nkv, 1, H] },
        { name: 'kc', shape: [B, Nkv, M, H] }, { name: 'vc', shape: [B, Nkv, M, H] }, { name: 'cos', shape: [8, H / 2] }, { name: 'sin', shape: [8, H / 2] },
      ],
      initializers: [{ name: 'pos', type: 'int64', dims: [B, 1], values: [3, 1] }, { name: 'w', type: 'int64', dims: [B], values: [3, 1] }, { name: 'len', type: 'int64', dims: [B], values: [4, 2] }],
      outputs: ['y', 'kc2', 'vc2'],
      nodes: [
        { op: 'RotaryEmbedding', inputs: ['q', 'cos', 'sin', 'pos'], outputs: ['qr'] },
        { op: 'RotaryEmbedding', inputs: ['k', 'cos', 'sin', 'pos'], outputs: ['kr'] },
        { op: 'TensorScatter', inputs: ['kc', 'kr', 'w'], outputs: ['kc2'] },
        { op: 'TensorScatter', inputs: ['vc', 'v', 'w'], outputs: ['vc2'] },
        { op: 'Attention', inputs: ['qr', 'kc2', 'vc2', '', '', '', 'len'], outputs: ['y'], attrs: { is_causal: 1 } },
      ],
    }, [[B, Nq, 1, H], [B, Nkv, 1, H], [B, Nkv, 1, H], [B, Nkv, M, H], [B, Nkv, M, H], [8, H / 2], [8, H / 2]]);
  });

  it('a prompt, then a step that reads its present as past (3-D, grouped heads, bool padding mask)', async () => {
    const [B, S, Nq, Nkv, H] = [2, 3, 2, 1, 4];
    const heads = { q_num_heads: Nq, kv_num_heads: Nkv };
    await matchesOnnxruntime({
      opset: 23,
      inputs: [
        { name: 'q', shape: [B, S, Nq * H] }, { name: 'k', shape: [B, S, Nkv * H] }, { name: 'v', shape: [B, S, Nkv * H] },
        { name: 'q1', shape: [B, 1, Nq * H] }, { name: 'k1', shape: [B, 1, Nkv * H] }, { name: 'v1', shape: [B, 1, Nkv * H] },
      ],
      initializers: [{ name: 'm', type: 'int64', dims: [B, 1, 1, S + 1], values: [1, 1, 1, 1, 0, 1, 1, 1] }],
      outputs: ['y', 'y1', 'pk1', 'pv1'],
      nodes: [
        { op: 'Attention', inputs: ['q', 'k', 'v'], outputs: ['y', 'pk', 'pv'], attrs: { ...heads, is_causal: 1 } },
        { op: 'Cast', inputs: ['m'], outputs: ['mask'], attrs: { to: 9 } },
        { op: 'Attention', inputs: ['q1', 'k1', 'v1', 'mask', 'pk', 'pv'], outputs: ['y1', 'pk1', 'pv1'], attrs: heads },
      ],
    }, [[B, S, Nq * H], [B, S, Nkv * H], [B, S, Nkv * H], [B, 1, Nq * H], [B, 1, Nkv * H], [B, 1, Nkv * H]]);
  });
});

describe('Attention: where the spec and onnxruntime 1.30 part', () => {
  it('is_causal aligns a single query after a past to the bottom right, as the spec says (onnxruntime 1.30 drops the causal mask for one query after a past)', async () => {
    // One query, two new keys after three past ones: the query is at position 3 and sees keys 0 to 3, not key 4.
    const shapes = [[1, 2, 1, 4], [1, 2, 2, 4], [1, 2, 2, 4], [1, 2, 3, 4], [1, 2, 3, 4]];
    const feeds = shapes.map((shape, i) => [shape, random(size(shape), 10 + i)]);
    const causal = await ours(attentionModel([shapes[0]!, shapes[1]!, shapes[2]!, null, shapes[3]!, shapes[4]!], { is_causal: 1 }, 23, 3), feeds);
    // The same with the mask spelled out as a bool input, in onnxruntime.
    const mask = { name: 'm', type: 'int64' as const, dims: [1, 5], values: [1, 1, 1, 1, 0] };
    const explicit = buildModel({
      opset: 23, inputs: shapes.map((shape, i) => ({ name: `x${i}`, shape })), initializers: [mask], outputs: ['out0', 'out1', 'out2'],
      nodes: [{ op: 'Cast', inputs: ['m'], outputs: ['mb'], attrs: { to: 9 } }, { op: 'Attention', inputs: ['x0', 'x1', 'x2', 'mb', 'x3', 'x4'], outputs: ['out0', 'out1', 'out2'] }],
    });
    const want = await theirs(explicit, feeds, ['x0', 'x1', 'x2', 'x3', 'x4']);
    causal.forEach((got, i) => close(got, want[i]!, `output ${i}`));
  });

  it('an attn_mask shorter than the keys is padded with -inf, as the spec says (onnxruntime 1.30 refuses it)', async () => {
    const shapes = [[2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 4]];
    const short = random(12, 20);
    const feeds = shapes.map((shape, i) => [shape, random(size(shape), 30 + i)]);
    const got = await ours(attentionModel([...shapes, [3, 4]], {}, 23), [...feeds, [[3, 4], short]]);
    const padded = [0, 1, 2].flatMap((r) => [...short.slice(r * 4, r * 4 + 4), -3.4028234663852886e38]);
    const want = await theirs(attentionModel([...shapes, [3, 5]], {}, 23), [...feeds, [[3, 5], padded]], ['x0', 'x1', 'x2', 'x3']);
    close(got[0]!, want[0]!, 'Y');
  });

  it("opset 25's left_window_size and right_window_size give the spec's sliding window (onnxruntime 1.30 knows Attention up to opset 24)", async () => {
    // The spec's picture: 4 queries, 6 keys, left 2, right 1; and with is_causal, left 1, after a past of 2.
    const weights = async (attrs: Record<string, AttrSpec>, past: number) => {
      const shapes = [[1, 1, 4, 2], [1, 1, 6 - past, 2], [1, 1, 6 - past, 2], ...(past ? [[1, 1, past, 2], [1, 1, past, 2]] : [])];
      const bytes = attentionModel([shapes[0]!, shapes[1]!, shapes[2]!, null, ...shapes.slice(3)], { ...attrs, qk_matmul_output_mode: 3 }, 25, 4);
      const out = await ours(bytes, shapes.map((shape, i) => [shape, random(size(shape), 40 + i)]));
      return Array.from({ length: 4 }, (_, r) => out[3]!.slice(r * 6, r * 6 + 6).map((w) => (w > 0 ? '#' : '.')).join(''));
    };
    expect(await weights({ left_window_size: 2, right_window_size: 1 }, 0)).toEqual(['##....', '###...', '####..', '.####.']);
    // Query i is at position 2 + i: keys 1 + i and 2 + i.
    expect(await weights({ left_window_size: 1, is_causal: 1 }, 2)).toEqual(['.##...', '..##..', '...##.', '....##']);
    expect(await weights({ right_window_size: 0 }, 0)).toEqual(['#.....', '##....', '###...', '####..']);
  });

});

describe('the operators of opsets 23 to 26 train', () => {
  it('Attention, RotaryEmbedding, TensorScatter, RMSNormalization, Swish and CumProd: their gradients match finite differences', async () => {
    const int64 = (name: string, values: number[], dims = [values.length]) => ({ name, type: 'int64' as const, dims, values });
    const cases: [string, number[][], Record<string, AttrSpec>, number, ModelSpec['initializers'], string[] | undefined, number?][] = [
      // Grouped heads with a past, causal, softcap and a float mask; every output.
      ['Attention', [[1, 2, 2, 3], [1, 1, 2, 3], [1, 1, 2, 3], [2, 4], [1, 1, 2, 3], [1, 1, 2, 3]], { is_causal: 1, softcap: 1.5 }, 23, [], undefined, 4],
      ['Attention', [[2, 2, 4], [2, 3, 2], [2, 3, 2]], { q_num_heads: 2, kv_num_heads: 1, left_window_size: 1 }, 25, [int64('l', [3, 2])], ['x0', 'x1', 'x2', '', '', '', 'l']],
      ['RotaryEmbedding', [[2, 3, 8], [6, 2], [6, 2]], { num_heads: 2, interleaved: 1 }, 23, [int64('p', [2, 0, 1, 3, 5, 4], [2, 3])], ['x0', 'x1', 'x2', 'p']],
      ['RotaryEmbedding', [[1, 2, 3, 6], [1, 3, 2], [1, 3, 2]], { rotary_embedding_dim: 4 }, 23, [], undefined],
      ['TensorScatter', [[2, 4, 3], [2, 2, 3]], { axis: 1, mode: 'circular' }, 24, [int64('w', [3, 1])], ['x0', 'x1', 'w']],
      ['RMSNormalization', [[2, 3, 4], [4]], {}, 23, [], undefined],
      ['Swish', [[3, 4]], { alpha: 0.7 }, 24, [], undefined],
      ['CumProd', [[3, 4]], { exclusive: 1, reverse: 1 }, 26, [int64('a', [1], [])], ['x0', 'a']],
    ];
    for (const [op, shapes, attrs, opset, initializers, names, outputs] of cases) {
      const outs = Array.from({ length: outputs ?? 1 }, (_, i) => `out${i}`);
      const bytes = buildModel({
        opset, inputs: shapes.map((shape, i) => ({ name: `x${i}`, shape })), initializers, outputs: outs,
        nodes: [{ op, name: 'n', inputs: names ?? shapes.map((_, i) => `x${i}`), outputs: outs, attrs }],
      });
      const m = await loadOnnx(bytes);
      const values = shapes.map((shape, i) => tl.tensor(random(size(shape), 90 + i, [-0.8, 0.8])).reshape(shape).requiresGrad_());
      expect(tl.autograd.gradcheck((...xs) => m.forward(...xs) as tl.Tensor | tl.Tensor[], values), `${op} ${JSON.stringify(attrs)}`).toBe(true);
      m.dispose();
    }
  });
});
