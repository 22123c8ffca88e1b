// String tensors against onnxruntime-node: Cast to and from strings, the data-movement
// operators on strings, StringNormalizer and TfIdfVectorizer, each in a small graph run by both
// on the same inputs (strings exactly, numbers within |a - b| <= 1e-5 + 1e-5 |b|); and the
// errors for what a string cannot do.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadOnnx, StringTensor, supportedOps } from '../src/index.js';
import { onnx } from '../src/proto.js';
import { type AttrSpec, buildModel, type ModelSpec } from './build-model.js';

const TOL = 1e-5;

type Feed = { strings: string[]; shape?: number[] } | { float: number[]; shape?: number[] } | { int32: number[]; shape?: number[] } | { int64: number[]; shape?: number[] } | { bool: number[]; shape?: number[] };
type OutputType = NonNullable<ModelSpec['outputTypes']>[string];

function feedType(f: Feed): 'string' | 'float' | 'int32' | 'int64' | 'bool' {
  return 'strings' in f ? 'string' : 'float' in f ? 'float' : 'int32' in f ? 'int32' : 'int64' in f ? 'int64' : 'bool';
}

function feedValues(f: Feed): (string | number)[] {
  return 'strings' in f ? f.strings : 'float' in f ? f.float : 'int32' in f ? f.int32 : 'int64' in f ? f.int64 : f.bool;
}

const shapeOfFeed = (f: Feed) => f.shape ?? [feedValues(f).length];

function ortFeed(f: Feed): ort.Tensor {
  const shape = shapeOfFeed(f);
  if ('strings' in f) return new ort.Tensor('string', f.strings, shape);
  if ('float' in f) return new ort.Tensor('float32', Float32Array.from(f.float), shape);
  if ('int32' in f) return new ort.Tensor('int32', Int32Array.from(f.int32), shape);
  if ('int64' in f) return new ort.Tensor('int64', BigInt64Array.from(f.int64.map(BigInt)), shape);
  return new ort.Tensor('bool', Uint8Array.from(f.bool), shape);
}

function ourFeed(f: Feed): tl.Tensor | StringTensor {
  const shape = shapeOfFeed(f);
  if ('strings' in f) return new StringTensor(f.strings, shape);
  if ('float' in f) return tl.tensor(Float32Array.from(f.float)).reshape(shape);
  if ('bool' in f) return tl.tensor(f.bool.map(Boolean), { dtype: 'bool' }).reshape(shape);
  return tl.tensor(Int32Array.from('int32' in f ? f.int32 : f.int64), { dtype: 'int32' }).reshape(shape);
}

interface Graph {
  nodes: ModelSpec['nodes'];
  feeds?: Record<string, Feed>;
  outputs: Record<string, OutputType>;
  initializers?: ModelSpec['initializers'];
  opset?: number;
}

function model(g: Graph, opset = g.opset ?? 17): Uint8Array {
  const feeds = g.feeds ?? {};
  return buildModel({
    inputs: Object.entries(feeds).map(([name, f]) => ({ name, type: feedType(f), shape: shapeOfFeed(f) })),
    outputs: Object.keys(g.outputs), outputTypes: g.outputs, nodes: g.nodes, initializers: g.initializers ?? [], opset,
  });
}

/** One node, named 'n' when it makes out0 and after its first output otherwise. */
function node(op: string, inputs: string[], attrs: Record<string, AttrSpec> = {}, outputs = ['out0']): ModelSpec['nodes'][number] {
  return { op, name: outputs[0] === 'out0' ? 'n' : outputs[0], inputs, outputs, attrs };
}

/** `g` run by onnxruntime (at `ortOpset` when given) and by loadOnnx: the same outputs. */
async function matches(g: Graph, ortOpset?: number): Promise<void> {
  const feeds = g.feeds ?? {};
  const session = await ort.InferenceSession.create(model(g, ortOpset));
  const want = await session.run(Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, ortFeed(f)])));
  const m = await loadOnnx(model(g), { namedOutputs: true });
  const got = m.forward(...Object.values(feeds).map(ourFeed)) as Record<string, tl.Tensor | StringTensor>;
  for (const name of Object.keys(g.outputs)) {
    const [w, o] = [want[name]!, got[name]!];
    expect(o.shape, `${name} shape`).toEqual([...w.dims]);
    if (w.type === 'string') {
      expect(o, `${name} is a StringTensor`).toBeInstanceOf(StringTensor);
      expect((o as StringTensor).data, name).toEqual(w.data);
      continue;
    }
    expect(o, `${name} is a Tensor`).toBeInstanceOf(tl.Tensor);
    const a = Array.from((o as tl.Tensor).dataSync() as ArrayLike<number>, Number);
    const b = Array.from(w.data as ArrayLike<number | bigint | boolean>, Number);
    const bad = a.map((v, k) => [k, v, b[k]!] as const).filter(([, v, x]) => !(Object.is(v, x) || Math.abs(v - x) <= TOL + TOL * Math.abs(x)));
    expect(bad.slice(0, 5), `${name}: ${bad.length} of ${a.length} elements differ (${a} vs ${b})`).toEqual([]);
  }
  m.dispose();
}

const words = { strings: ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'], shape: [2, 3] };
const ints = (name: string, values: number[], dims = [values.length]) => ({ name, type: 'int64' as const, dims, values });
const strs = (name: string, strings: string[], dims = [strings.length]) => ({ name, dims, values: [], strings });

/** A Constant node whose value is a string tensor (TensorProto.string_data), added to `bytes`' graph. */
function withStringConstant(bytes: Uint8Array, name: string, strings: string[], dims: number[]): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const t = { name, dims, dataType: onnx.TensorProto.DataType.STRING, stringData: strings.map((s) => new TextEncoder().encode(s)) };
  m.graph!.node!.unshift({ opType: 'Constant', name: 'c', input: [], output: [name], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }] });
  return onnx.ModelProto.encode(m).finish();
}

describe('Cast to and from strings matches onnxruntime', () => {
  it('floats to text as %.8g (NaN, INF, -INF, -0, exponents, ties to even), integers and bools in decimal', async () => {
    const floats = [0, -0, 0.1, -2.5, 100, 1 / 3, 123456789, 1.5e20, -3.4e38, 1e-5, 0.00012345678, 2 ** -12, 1234567.5, 99999999.5, 1e-40, NaN, Infinity, -Infinity, 16777216, 0.5, 1e8, 12345678];
    await matches({ feeds: { x: { float: floats } }, nodes: [node('Cast', ['x'], { to: 8 })], outputs: { out0: 'string' } });
    await matches({ feeds: { x: { int32: [0, -1, 7, 2147483647, -2147483648] } }, nodes: [node('Cast', ['x'], { to: 8 })], outputs: { out0: 'string' } });
    await matches({ initializers: [ints('x', [0, -5, 2 ** 40, -(2 ** 50), 123])], nodes: [node('Cast', ['x'], { to: 8 })], outputs: { out0: 'string' } });
    await matches({ feeds: { x: { bool: [1, 0, 1], shape: [3, 1] } }, nodes: [node('Cast', ['x'], { to: 8 })], outputs: { out0: 'string' } });
    // A uint8 value through a Cast: its number, not a character.
    await matches({ feeds: { x: { float: [65, 200, 0] } }, nodes: [node('Cast', ['x'], { to: 2 }, ['b']), node('Cast', ['b'], { to: 8 })], outputs: { out0: 'string' } });
  });

  it('text to floats as std::stod reads it: signs, white space, exponents, INF and NaN in any case, hex, a number followed by text', async () => {
    const text = ['3.14', '  -1e-5', '1E8', '+INF', 'inf', '-Infinity', 'NaN', 'nan', '0x1p-3', '0X1A', '1.5abc', '.5', '5.', '1e', '-0', '3.4028236e38', '1e-50', '\t42\n', '7e+2x', '0x'];
    await matches({ feeds: { s: { strings: text, shape: [4, 5] } }, nodes: [node('Cast', ['s'], { to: 1 })], outputs: { out0: 'float' } });
  });

  it('text to integers as std::stoll and std::stoull read it, narrowed to the type (uint8 and int8 wrap), and to bool', async () => {
    const text = ['42', ' -17', '+8', '100.5', '300', '-1', '200', '0x10', '007', '12abc'];
    for (const [to, type] of [[7, 'int64'], [6, 'int32'], [2, 'uint8'], [3, 'int8'], [5, 'int16']] as const) {
      await matches({ feeds: { s: { strings: text } }, nodes: [node('Cast', ['s'], { to })], outputs: { out0: type as OutputType } });
    }
    await matches({ feeds: { s: { strings: ['0', '1', '2', '  7', '-1', '00'] } }, nodes: [node('Cast', ['s'], { to: 9 })], outputs: { out0: 'bool' } });
  });

  it('strings to strings, a round trip through text, CastLike both ways, a 0-d and an empty tensor', async () => {
    await matches({
      feeds: { s: words, x: { float: [1.25, -7, 1e-7] }, like: { strings: ['?'] } },
      nodes: [
        node('Cast', ['s'], { to: 8 }, ['same']),
        node('Cast', ['x'], { to: 8 }, ['t']), node('Cast', ['t'], { to: 1 }, ['back']),
        node('CastLike', ['x', 'like'], {}, ['text']), node('CastLike', ['t', 'x'], {}, ['number']),
      ],
      outputs: { same: 'string', back: 'float', text: 'string', number: 'float' },
    });
    await matches({ feeds: { s: { strings: ['2.5'], shape: [] }, e: { strings: [], shape: [0, 3] } }, nodes: [node('Cast', ['s'], { to: 1 }, ['a']), node('Cast', ['e'], { to: 7 }, ['b'])], outputs: { a: 'float', b: 'int64' } });
  });
});

describe('shape and data-movement operators on strings match onnxruntime', () => {
  const cases: [string, Graph][] = [
    ['Identity, Reshape (0 and -1), Flatten, Transpose', {
      feeds: { s: words }, initializers: [ints('shape', [0, -1, 1])],
      nodes: [node('Identity', ['s'], {}, ['a']), node('Reshape', ['s', 'shape'], {}, ['b']), node('Flatten', ['s'], { axis: 0 }, ['c']), node('Transpose', ['s'], { perm: [1, 0] }, ['d']), node('Transpose', ['b'], {}, ['e'])],
      outputs: { a: 'string', b: 'string', c: 'string', d: 'string', e: 'string' },
    }],
    ['Squeeze and Unsqueeze (axes as inputs)', {
      feeds: { s: { strings: ['x', 'y', 'z'], shape: [1, 3, 1] } }, initializers: [ints('sq', [0, 2]), ints('un', [0, -1])],
      nodes: [node('Squeeze', ['s', 'sq'], {}, ['a']), node('Unsqueeze', ['a', 'un'], {}, ['b']), node('Squeeze', ['s'], {}, ['c'])],
      outputs: { a: 'string', b: 'string', c: 'string' },
    }],
    ['Squeeze and Unsqueeze (opset 11 attributes)', {
      opset: 11, feeds: { s: { strings: ['x', 'y', 'z'], shape: [1, 3] } },
      nodes: [node('Squeeze', ['s'], { axes: [0] }, ['a']), node('Unsqueeze', ['a'], { axes: [1] }, ['b'])],
      outputs: { a: 'string', b: 'string' },
    }],
    ['Concat of inputs and a string initializer, Shape and Size', {
      feeds: { s: words, t: { strings: ['one', 'two'], shape: [2, 1] } }, initializers: [strs('k', ['k0', 'k1', 'k2', 'k3'], [2, 2])],
      nodes: [node('Concat', ['s', 't', 'k'], { axis: -1 }, ['a']), node('Concat', ['s', 's'], { axis: 0 }, ['b']), node('Shape', ['a'], {}, ['c']), node('Size', ['b'], {}, ['d']), node('Shape', ['s'], { start: -1 }, ['e'])],
      outputs: { a: 'string', b: 'string', c: 'int64', d: 'int64', e: 'int64' },
    }],
    ['Gather with 2-D and negative indices', {
      feeds: { s: words }, initializers: [ints('i', [2, -1, 0, 0], [2, 2])],
      nodes: [node('Gather', ['s', 'i'], { axis: 1 }, ['a'])],
      outputs: { a: 'string' },
    }],
    ['Slice with negative steps, axes and ends past the end', {
      feeds: { s: { strings: Array.from({ length: 12 }, (_, i) => `w${i}`), shape: [3, 4] } },
      initializers: [ints('st', [-1, 0]), ints('en', [-100, 100]), ints('ax', [1, 0]), ints('sp', [-2, 2])],
      nodes: [node('Slice', ['s', 'st', 'en', 'ax', 'sp'], {}, ['a'])],
      outputs: { a: 'string' },
    }],
    ['Expand both ways, and Tile', {
      feeds: { s: { strings: ['a', 'b', 'c'], shape: [3, 1] } }, initializers: [ints('shape', [2, 1, 4]), ints('r', [2, 3])],
      nodes: [node('Expand', ['s', 'shape'], {}, ['a']), node('Tile', ['s', 'r'], {}, ['b'])],
      outputs: { a: 'string', b: 'string' },
    }],
    ['Where (broadcast) picks strings by a bool condition', {
      feeds: { c: { bool: [1, 0, 0, 1, 1, 0], shape: [2, 3] }, x: words, y: { strings: ['-', '+', '*'], shape: [3] } },
      nodes: [node('Where', ['c', 'x', 'y'], {}, ['a'])],
      outputs: { a: 'string' },
    }],
    ['Split (given sizes, equal parts) and Compress (with and without an axis)', {
      feeds: { s: { strings: Array.from({ length: 10 }, (_, i) => `s${i}`), shape: [2, 5] } }, initializers: [ints('sizes', [2, 3]), { name: 'keep', type: 'int64', dims: [5], values: [1, 0, 1, 1, 0] }],
      nodes: [
        node('Split', ['s', 'sizes'], { axis: 1 }, ['a', 'b']), node('Split', ['s'], {}, ['c', 'd']),
        node('Cast', ['keep'], { to: 9 }, ['cond']), node('Compress', ['s', 'cond'], { axis: 1 }, ['e']), node('Compress', ['s', 'cond'], {}, ['f']),
      ],
      outputs: { a: 'string', b: 'string', c: 'string', d: 'string', e: 'string', f: 'string' },
    }],
    ['If returns a string branch output; a Loop carries strings', {
      feeds: { c: { bool: [0], shape: [] }, s: { strings: ['p', 'q'] } }, initializers: [ints('n', [3], [])],
      nodes: [
        { op: 'If', name: 'if', inputs: ['c'], outputs: ['a'], attrs: {
          then_branch: { graph: { inputs: [], outputs: ['t'], outputTypes: { t: 'string' }, nodes: [{ op: 'Identity', inputs: ['s'], outputs: ['t'] }] } },
          else_branch: { graph: { inputs: [], outputs: ['e'], outputTypes: { e: 'string' }, nodes: [{ op: 'Concat', inputs: ['s', 's'], outputs: ['e'], attrs: { axis: 0 } }] } },
        } },
        { op: 'Loop', name: 'loop', inputs: ['n', '', 's'], outputs: ['b'], attrs: {
          body: { graph: {
            inputs: [{ name: 'i', type: 'int64', shape: [] }, { name: 'cond', type: 'bool', shape: [] }, { name: 'acc', type: 'string' }], outputs: ['cond_out', 'acc1'], outputTypes: { cond_out: 'bool', acc1: 'string' },
            nodes: [{ op: 'Identity', inputs: ['cond'], outputs: ['cond_out'] }, { op: 'Concat', inputs: ['acc', 's'], outputs: ['acc1'], attrs: { axis: 0 } }],
          } },
        } },
      ],
      outputs: { a: 'string', b: 'string' },
    }],
    ['Constant of value_strings and value_string', {
      nodes: [node('Constant', [], { value_strings: ['x', 'yy', ''] }, ['a']), node('Constant', [], { value_string: 'just one' }, ['b'])],
      outputs: { a: 'string', b: 'string' },
    }],
    ['empty string tensors through Reshape, Concat and Transpose', {
      feeds: { e: { strings: [], shape: [0, 2] }, s: { strings: ['a', 'b'], shape: [1, 2] } }, initializers: [ints('shape', [2, 0])],
      nodes: [node('Reshape', ['e', 'shape'], { allowzero: 1 }, ['a']), node('Concat', ['e', 's'], { axis: 0 }, ['b']), node('Transpose', ['e'], {}, ['c'])],
      outputs: { a: 'string', b: 'string', c: 'string' },
    }],
  ];
  for (const [label, g] of cases) it(label, async () => matches(g));

  it('Gather of rows of strings (onnxruntime 1.30 copies only the first string of each row there, the others empty)', async () => {
    const m = await loadOnnx(model({ feeds: { s: words, i: { int64: [1, 0, -1] } }, initializers: [ints('j', [1], [])], nodes: [node('Gather', ['s', 'i'], {}, ['a']), node('Gather', ['s', 'j'], {}, ['b'])], outputs: { a: 'string', b: 'string' } }));
    const [a, b] = m.forward(ourFeed(words), ourFeed({ int64: [1, 0, -1] })) as StringTensor[];
    expect(a!.array()).toEqual([['delta', 'epsilon', 'zeta'], ['alpha', 'beta', 'gamma'], ['delta', 'epsilon', 'zeta']]);
    expect([b!.shape, b!.data]).toEqual([[3], ['delta', 'epsilon', 'zeta']]);
  });

  it('Constant of a string tensor (string_data), also into a graph output', async () => {
    const bytes = withStringConstant(model({ feeds: { s: words }, nodes: [node('Concat', ['s', 'k'], { axis: 1 }, ['a'])], outputs: { a: 'string' } }), 'k', ['u', 'v'], [2, 1]);
    const session = await ort.InferenceSession.create(bytes);
    const want = await session.run({ s: ortFeed(words) });
    const got = (await loadOnnx(bytes)).forward(ourFeed(words)) as StringTensor;
    expect([got.shape, got.data]).toEqual([[...want.a!.dims], want.a!.data]);
    expect(got.array()).toEqual([['alpha', 'beta', 'gamma', 'u'], ['delta', 'epsilon', 'zeta', 'v']]);
  });

  it('Equal compares strings elementwise with broadcasting (ONNX defines it from opset 19; onnxruntime runs it at 19)', async () => {
    await matches({ feeds: { a: words, b: { strings: ['alpha', 'epsilon', 'gamma'] } }, nodes: [node('Equal', ['a', 'b'])], outputs: { out0: 'bool' } }, 19);
  });
});

describe('StringNormalizer matches onnxruntime', () => {
  // onnxruntime builds the locale it is given (en_US.UTF-8 by default) with std::locale, which
  // needs that locale installed; C.UTF-8 (Unicode's case mapping) and C (ASCII only) always are.
  const normalize = (x: Feed, attrs: Record<string, AttrSpec>): Graph => ({ feeds: { x }, nodes: [node('StringNormalizer', ['x'], { locale: 'C.UTF-8', ...attrs })], outputs: { out0: 'string' } });
  const days = { strings: ['monday', 'tuesday', 'wednesday', 'thursday'] };
  const mixed = { strings: ['The', 'quick', 'BROWN', 'fox', 'THE', 'Straße', 'École', 'naïve'], shape: [1, 8] };
  // One-letter case mappings only: İ lowers to i, the titlecase ǅ has both cases, ΣΑΣ lowers without a final ς, ß and ﬁ stay.
  const special = { strings: ['İstanbul', 'ΣΑΣ', 'ǅemal', 'ﬁx', 'straße', 'ᾳ', 'ǈ'] };
  const cases: [string, Graph][] = [
    ['the spec\'s example: LOWER, case-sensitive, a stopword', normalize(days, { case_change_action: 'LOWER', is_case_sensitive: 1, stopwords: ['monday'] })],
    ['[1, C], UPPER, case-insensitive stopwords (non-ASCII letters; ß has no one-letter upper case)', normalize(mixed, { case_change_action: 'UPPER', is_case_sensitive: 0, stopwords: ['the', 'FOX'] })],
    ['NONE, case-insensitive: the kept words keep their case', normalize(mixed, { case_change_action: 'NONE', is_case_sensitive: 0, stopwords: ['the', 'ÉCOLE'] })],
    ['LOWER, case-sensitive: only exact stopwords go', normalize(mixed, { case_change_action: 'LOWER', is_case_sensitive: 1, stopwords: ['the', 'BROWN'] })],
    ['UPPER, no stopwords', normalize(days, { case_change_action: 'UPPER', is_case_sensitive: 1 })],
    ['LOWER, letters whose full case mapping is longer', normalize(special, { case_change_action: 'LOWER', is_case_sensitive: 1 })],
    ['UPPER, letters whose full case mapping is longer', normalize(special, { case_change_action: 'UPPER', is_case_sensitive: 1 })],
    ['locale C: ASCII letters only', normalize(mixed, { case_change_action: 'LOWER', is_case_sensitive: 0, locale: 'C', stopwords: ['brown'] })],
    ['locale POSIX, UPPER', normalize(special, { case_change_action: 'UPPER', is_case_sensitive: 1, locale: 'POSIX' })],
    ['every word a stopword: one empty string, [1]', normalize(days, { case_change_action: 'NONE', is_case_sensitive: 0, stopwords: ['MONDAY', 'Tuesday', 'wednesday', 'thursday'] })],
    ['every word a stopword: one empty string, [1, 1]', normalize({ strings: ['a', 'b', 'a'], shape: [1, 3] }, { case_change_action: 'UPPER', is_case_sensitive: 1, stopwords: ['a', 'b'] })],
    ['empty strings and repeated words', normalize({ strings: ['', 'x', 'X', '', 'x'] }, { case_change_action: 'LOWER', is_case_sensitive: 0, stopwords: ['y'] })],
    ['the defaults but the locale: NONE, case-insensitive, no stopwords', normalize(mixed, {})],
  ];
  for (const [label, g] of cases) it(label, async () => matches(g));

  it('the default locale (en_US, as onnxruntime\'s) and a language\'s own rules (Turkish i)', async () => {
    const run = async (attrs: Record<string, AttrSpec>, x: Feed) => ((await loadOnnx(model({ feeds: { x }, nodes: [node('StringNormalizer', ['x'], attrs)], outputs: { out0: 'string' } }))).forward(ourFeed(x)) as StringTensor).data;
    expect(await run({ case_change_action: 'UPPER' }, { strings: ['istanbul', 'École'] })).toEqual(['ISTANBUL', 'ÉCOLE']);
    expect(await run({ case_change_action: 'UPPER', locale: 'tr_TR.UTF-8' }, { strings: ['istanbul', 'ılık'] })).toEqual(['İSTANBUL', 'ILIK']);
    expect(await run({ case_change_action: 'LOWER', locale: 'tr-TR' }, { strings: ['İSTANBUL', 'ILIK'] })).toEqual(['istanbul', 'ılık']);
    // The empty input: nothing to keep, so one empty string.
    expect(await run({}, { strings: [], shape: [0] })).toEqual(['']);
  });
});

describe('TfIdfVectorizer matches onnxruntime', () => {
  const tfidf = (x: Feed, attrs: Record<string, AttrSpec>): Graph => ({ feeds: { x }, nodes: [node('TfIdfVectorizer', ['x'], attrs)], outputs: { out0: 'float' } });
  // The spec's pool: unigrams 2 3 5 4, bigrams (5 6) (7 8) (6 7).
  const pool = { ngram_counts: [0, 4], ngram_indexes: [0, 1, 2, 3, 4, 5, 6], pool_int64s: [2, 3, 5, 4, 5, 6, 7, 8, 6, 7] };
  const batch = { int32: [1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8], shape: [2, 6] };
  const row = { int32: [1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8] };
  const cases: [string, Graph][] = [
    ['the spec\'s batch, bigrams only, skip 0', tfidf(batch, { mode: 'TF', min_gram_length: 2, max_gram_length: 2, max_skip_count: 0, ...pool })],
    ['bigrams only, skip 5: skip-grams', tfidf(row, { mode: 'TF', min_gram_length: 2, max_gram_length: 2, max_skip_count: 5, ...pool })],
    ['unigrams and bigrams, skip 5, a batch', tfidf(batch, { mode: 'TF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 5, ...pool })],
    ['unigrams only (the bigrams in the pool left out)', tfidf(row, { mode: 'TF', min_gram_length: 1, max_gram_length: 1, max_skip_count: 0, ...pool })],
    ['no n-gram of the pool in the input', tfidf({ int32: [9, 9, 9] }, { mode: 'TF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 1, ...pool })],
    ['IDF with weights, 2-D', tfidf(batch, { mode: 'IDF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 1, ...pool, weights: [0.5, 1.5, 2, 0.25, 3, 1, 0.1] })],
    ['IDF without weights', tfidf(batch, { mode: 'IDF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 2, ...pool })],
    ['TFIDF with weights; ngram_indexes permuted (each n-gram of the pool keeps its weight)', tfidf(batch, {
      mode: 'TFIDF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 3, ngram_counts: pool.ngram_counts, pool_int64s: pool.pool_int64s, ngram_indexes: [6, 0, 5, 1, 4, 2, 3], weights: [0.5, 1.5, 2, 0.25, 3, 1, 0.1],
    })],
    ['TFIDF without weights; two n-grams into one column, and columns no n-gram reaches', tfidf(row, { mode: 'TFIDF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 0, ngram_counts: pool.ngram_counts, pool_int64s: pool.pool_int64s, ngram_indexes: [0, 0, 2, 8, 4, 5, 6] })],
    ['trigrams with skips, int64 input', tfidf({ int64: [4, 1, 4, 2, 1, 3, 4, 1, 2, 3], shape: [10] }, {
      mode: 'TF', min_gram_length: 2, max_gram_length: 3, max_skip_count: 1, ngram_counts: [0, 2, 6], ngram_indexes: [0, 1, 2, 3, 4, 5], pool_int64s: [1, 4, 4, 1, 1, 2, 4, 1, 2, 4, 2, 3],
    })],
    ['strings: a pool of words, a 2-D batch, TFIDF with weights', tfidf({ strings: ['the', 'cat', 'sat', 'on', 'the', 'mat', 'the', 'cat', 'the', 'cat', 'ran', 'off'], shape: [2, 6] }, {
      mode: 'TFIDF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 1, ngram_counts: [0, 3], ngram_indexes: [0, 1, 2, 3, 4], pool_strings: ['the', 'cat', 'mat', 'the', 'cat', 'cat', 'sat'], weights: [0.1, 2, 3, 0.5, 1.5],
    })],
    ['strings: 1-D, bigrams only, skip 2', tfidf({ strings: ['a', 'b', 'c', 'a', 'b', 'c', 'a'] }, {
      mode: 'TF', min_gram_length: 2, max_gram_length: 2, max_skip_count: 2, ngram_counts: [0, 0], ngram_indexes: [0, 1, 2], pool_strings: ['a', 'b', 'a', 'c', 'b', 'a'],
    })],
    ['an empty input [0]: zeros', tfidf({ int32: [], shape: [0] }, { mode: 'TF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 0, ...pool })],
    ['an empty batch [2, 0] of strings: zeros', tfidf({ strings: [], shape: [2, 0] }, { mode: 'TF', min_gram_length: 1, max_gram_length: 1, max_skip_count: 0, ngram_counts: [0], ngram_indexes: [0, 1], pool_strings: ['x', 'y'] })],
    ['rows shorter than the n-grams', tfidf({ int32: [5, 7, 8], shape: [3, 1] }, { mode: 'TF', min_gram_length: 2, max_gram_length: 2, max_skip_count: 3, ...pool })],
  ];
  for (const [label, g] of cases) it(label, async () => matches(g));

  it('StringNormalizer into TfIdfVectorizer: words normalized, stopwords gone, then counted', async () => {
    await matches({
      feeds: { x: { strings: ['The', 'Cat', 'and', 'THE', 'cat', 'AND', 'the', 'dog'], shape: [1, 8] } },
      nodes: [
        node('StringNormalizer', ['x'], { case_change_action: 'LOWER', is_case_sensitive: 0, stopwords: ['and'], locale: 'C.UTF-8' }, ['words']),
        node('TfIdfVectorizer', ['words'], { mode: 'TF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 0, ngram_counts: [0, 3], ngram_indexes: [0, 1, 2, 3, 4], pool_strings: ['the', 'cat', 'dog', 'the', 'cat', 'cat', 'the'] }, ['out0']),
      ],
      outputs: { out0: 'float', words: 'string' },
    });
  });
});

describe('string tensors: what they cannot do is refused, naming it', () => {
  const one = (op: string, feeds: Record<string, Feed>, attrs: Record<string, AttrSpec> = {}, output: OutputType = 'float', initializers: ModelSpec['initializers'] = [], inputs?: string[]) =>
    model({ feeds, nodes: [node(op, inputs ?? [...Object.keys(feeds), ...initializers.map((i) => i.name)], attrs)], outputs: { out0: output }, initializers });

  it('a string into an operator that needs numbers, at run time, naming the node and the input', async () => {
    const relu = await loadOnnx(one('Relu', { x: words }, {}, 'string'));
    expect(() => relu.forward(ourFeed(words))).toThrow("Relu 'n': input 'x' is a string tensor; Relu takes numeric tensors");
    const add = await loadOnnx(one('Add', { x: { float: [1, 2, 3] } }, {}, 'float', [strs('k', ['a', 'b', 'c'])]));
    expect(() => add.forward(ourFeed({ float: [1, 2, 3] }))).toThrow("Add 'n': input 'k' is a string tensor; Add takes numeric tensors");
    const reshape = await loadOnnx(one('Reshape', { x: { float: [1, 2] } }, {}, 'float', [strs('shape', ['2', '1'])]));
    expect(() => reshape.forward(ourFeed({ float: [1, 2] }))).toThrow("Reshape 'n': input shape is a string tensor; it must be numeric");
    const concat = await loadOnnx(one('Concat', { s: words, x: { float: [1, 2], shape: [2, 1] } }, { axis: 1 }, 'string'));
    expect(() => concat.forward(ourFeed(words), ourFeed({ float: [1, 2], shape: [2, 1] }))).toThrow("Concat 'n': input 1 is a float32 tensor and another input a string tensor; they must be of one type");
    const equal = await loadOnnx(one('Equal', { s: words, x: { float: [1, 2, 3] } }, {}, 'bool'));
    expect(() => equal.forward(ourFeed(words), ourFeed({ float: [1, 2, 3] }))).toThrow("Equal 'n': input B is a float32 tensor; both inputs must be strings");
    const optional = await loadOnnx(one('Optional', { s: words }, {}, 'string'));
    expect(() => optional.forward(ourFeed(words))).toThrow("Optional 'n': input is a string tensor; an optional holds a numeric tensor or a sequence");
    const sequence = await loadOnnx(buildModel({ inputs: [{ name: 's', type: 'string', shape: [2, 3] }], outputs: ['out0'], sequenceOutputs: ['out0'], outputTypes: { out0: 'string' }, nodes: [node('SequenceConstruct', ['s'])] }));
    expect(() => sequence.forward(ourFeed(words))).toThrow("SequenceConstruct 'n': 0 is a string tensor, a numeric tensor is needed");
  });

  it('Cast of text that holds no number, or one out of range', async () => {
    const cast = async (to: number, text: string) => (await loadOnnx(one('Cast', { s: { strings: [text] } }, { to }, to === 1 ? 'float' : 'int64'))).forward(ourFeed({ strings: [text] }));
    await expect(cast(1, 'Hello')).rejects.toThrow('Cast \'n\': cannot cast "Hello" to float32: it does not start with a number');
    await expect(cast(7, '2.5e3x'.replace('2', 'x'))).rejects.toThrow('Cast \'n\': cannot cast "x.5e3x" to int64: it does not start with a decimal integer');
    await expect(cast(1, '1e400')).rejects.toThrow("cannot cast \"1e400\" to float32: out of double's range");
    await expect(cast(7, '99999999999999999999')).rejects.toThrow("cannot cast \"99999999999999999999\" to int64: out of int64's range");
  });

  it('StringNormalizer and TfIdfVectorizer refuse the wrong input, naming it', async () => {
    const sn = await loadOnnx(one('StringNormalizer', { x: { float: [1, 2] } }, {}, 'string'));
    expect(() => sn.forward(ourFeed({ float: [1, 2] }))).toThrow("StringNormalizer 'n': input X is a float32 tensor; a string tensor is needed");
    const wide = await loadOnnx(one('StringNormalizer', { x: words }, {}, 'string'));
    expect(() => wide.forward(ourFeed(words))).toThrow("StringNormalizer 'n': input X must be [C] or [1, C], got [2,3]");
    const attrs = { mode: 'TF', min_gram_length: 1, max_gram_length: 1, max_skip_count: 0, ngram_counts: [0], ngram_indexes: [0, 1] };
    const byStrings = await loadOnnx(one('TfIdfVectorizer', { x: { int32: [1, 2] } }, { ...attrs, pool_strings: ['a', 'b'] }));
    expect(() => byStrings.forward(ourFeed({ int32: [1, 2] }))).toThrow("TfIdfVectorizer 'n': input X is a int32 tensor; pool_strings needs a string tensor");
    const byInts = await loadOnnx(one('TfIdfVectorizer', { x: { strings: ['a'] } }, { ...attrs, pool_int64s: [1, 2] }));
    expect(() => byInts.forward(ourFeed({ strings: ['a'] }))).toThrow("TfIdfVectorizer 'n': input X is a string tensor; pool_int64s needs integers");
    const floats = await loadOnnx(one('TfIdfVectorizer', { x: { float: [1, 2] } }, { ...attrs, pool_int64s: [1, 2] }));
    expect(() => floats.forward(ourFeed({ float: [1, 2] }))).toThrow("TfIdfVectorizer 'n': input X is float32; TfIdfVectorizer takes int32, int64 or string tensors");
    const cube = await loadOnnx(one('TfIdfVectorizer', { x: { int32: [1, 2], shape: [1, 1, 2] } }, { ...attrs, pool_int64s: [1, 2] }));
    expect(() => cube.forward(ourFeed({ int32: [1, 2], shape: [1, 1, 2] }))).toThrow("TfIdfVectorizer 'n': input X must be [C] or [N, C], got [1,1,2]");
  });

  it('bad attributes are refused at load time, every one named', async () => {
    const x = { x: { strings: ['a'] } };
    const tf = { mode: 'TF', min_gram_length: 1, max_gram_length: 1, max_skip_count: 0, ngram_counts: [0], ngram_indexes: [0, 1], pool_strings: ['a', 'b'] };
    const refused: [Uint8Array, string][] = [
      [one('StringNormalizer', x, { case_change_action: 'TITLE' }, 'string'), 'StringNormalizer \'n\': attribute case_change_action="TITLE" is not supported (supported: "NONE", "LOWER", "UPPER")'],
      [one('StringNormalizer', x, { locale: 'not a locale!' }, 'string'), 'StringNormalizer \'n\': attribute locale="not a locale!" is not a locale name'],
      [one('StringNormalizer', x, { stopwords: [1, 2] }, 'string'), "StringNormalizer 'n': attribute stopwords must be a list of strings"],
      [one('StringNormalizer', x, { normalization: 'NFC' }, 'string'), "StringNormalizer 'n': attribute 'normalization' is not supported"],
      [one('TfIdfVectorizer', x, { ...tf, mode: 'BM25' }), 'TfIdfVectorizer \'n\': attribute mode="BM25" is not supported (supported: "TF", "IDF", "TFIDF")'],
      [one('TfIdfVectorizer', x, Object.fromEntries(Object.entries(tf).filter(([k]) => k !== 'mode'))), "TfIdfVectorizer 'n': attribute mode is missing"],
      [one('TfIdfVectorizer', x, { ...tf, pool_int64s: [1, 2] }), "TfIdfVectorizer 'n': exactly one of the attributes pool_strings and pool_int64s must be given"],
      [one('TfIdfVectorizer', x, { ...tf, min_gram_length: 0 }), "TfIdfVectorizer 'n': attribute min_gram_length=0 must be 1 or more"],
      [one('TfIdfVectorizer', x, { ...tf, max_gram_length: 2 }), "TfIdfVectorizer 'n': attribute max_gram_length=2 is longer than ngram_counts gives n-grams for (1)"],
      [one('TfIdfVectorizer', x, { ...tf, max_skip_count: -1 }), "TfIdfVectorizer 'n': attribute max_skip_count=-1 must be 0 or more"],
      [one('TfIdfVectorizer', x, { ...tf, ngram_counts: [0, 1], max_gram_length: 2, ngram_indexes: [0] }), "TfIdfVectorizer 'n': the pool's 2-grams (items 1 to 2) are not whole 2-grams"],
      [one('TfIdfVectorizer', x, { ...tf, pool_strings: ['a', 'a'] }), "TfIdfVectorizer 'n': the pool holds the 1-gram [a] twice"],
      [one('TfIdfVectorizer', x, { ...tf, ngram_indexes: [0, 1, 2] }), "TfIdfVectorizer 'n': attribute ngram_indexes has 3 entries for the pool's 2 n-grams"],
      [one('TfIdfVectorizer', x, { ...tf, ngram_indexes: [0, -1] }), "TfIdfVectorizer 'n': attribute ngram_indexes [0,-1] must not hold negative values"],
      [one('TfIdfVectorizer', x, { ...tf, weights: [1.5] }), "TfIdfVectorizer 'n': attribute weights has 1 values; it needs one per n-gram of the pool, as ngram_indexes (2)"],
      [one('Cast', x, { to: 14 }), "Cast 'n': cast to element type 14 is not supported"],
    ];
    for (const [bytes, message] of refused) await expect(loadOnnx(bytes), message).rejects.toThrow(message);
    // A string tensor where an operator takes a numeric attribute.
    const ofShape = withStringConstant(one('ConstantOfShape', {}, {}, 'float', [ints('shape', [2])]), 'unused', ['a'], [1]);
    const m = onnx.ModelProto.decode(ofShape);
    m.graph!.node![1]!.attribute = [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: m.graph!.node![0]!.attribute![0]!.t! }];
    await expect(loadOnnx(onnx.ModelProto.encode(m).finish())).rejects.toThrow("ConstantOfShape 'n': attribute 'value' is a string tensor; ConstantOfShape takes numeric ones");
  });

  it('forward takes a StringTensor or { data, shape } for a string input, and checks it', async () => {
    const m = await loadOnnx(model({ feeds: { s: { strings: ['a', 'b', 'c'], shape: [3] }, x: { float: [1] } }, nodes: [node('Identity', ['s'], {}, ['a']), node('Identity', ['x'], {}, ['b'])], outputs: { a: 'string', b: 'float' } }));
    const [a] = m.forward({ data: ['p', 'q', 'r'], shape: [3] }, tl.ones([1])) as [StringTensor, tl.Tensor];
    expect([a.shape, a.data, a.array()]).toEqual([[3], ['p', 'q', 'r'], ['p', 'q', 'r']]);
    expect(() => m.forward(tl.ones([3]), tl.ones([1]))).toThrow("OnnxModule.forward: input 's' is a string tensor: give a StringTensor or { data: string[], shape: number[] }, got a float32 Tensor");
    expect(() => m.forward(new StringTensor(['a', 'b', 'c']), new StringTensor(['x']))).toThrow("OnnxModule.forward: input 'x' must be a Tensor (the graph's float32), got a string tensor");
    expect(() => m.forward(new StringTensor(['a', 'b']), tl.ones([1]))).toThrow("OnnxModule.forward: input 's' must have shape [3], got [2]");
    expect(() => m.forward({ data: ['a', 'b'], shape: [3] }, tl.ones([1]))).toThrow("OnnxModule.forward: input 's': StringTensor: shape [3] holds 3 strings, data has 2");
    expect(() => new StringTensor(['a', 'b'], [3])).toThrow('StringTensor: shape [3] holds 3 strings, data has 2');
    expect(() => new StringTensor([1 as unknown as string])).toThrow('StringTensor: data must be an array of strings');
    // String initializers are constants of the graph, not module state.
    const k = await loadOnnx(one('Identity', {}, {}, 'string', [strs('k', ['x', 'y'])]));
    expect([k.stateDict(), (k.forward() as StringTensor).data]).toEqual([{}, ['x', 'y']]);
  });

  it('every default-domain operator to opset 17 is supported', () => {
    for (const op of ['StringNormalizer', 'TfIdfVectorizer']) expect(supportedOps).toContain(op);
  });
});

describe('the string operators of opset 20 match onnxruntime', () => {
  const concat = (a: Feed, b: Feed): Graph => ({ feeds: { a, b }, nodes: [node('StringConcat', ['a', 'b'])], outputs: { out0: 'string' }, opset: 20 });
  const split = (x: Feed, attrs: Record<string, AttrSpec>): Graph => ({ feeds: { x }, nodes: [node('StringSplit', ['x'], attrs, ['out0', 'out1'])], outputs: { out0: 'string', out1: 'int64' }, opset: 20 });
  const match = (x: Feed, pattern: string): Graph => ({ feeds: { x }, nodes: [node('RegexFullMatch', ['x'], { pattern })], outputs: { out0: 'bool' }, opset: 20 });
  const csv = { strings: ['a,b,c', '', 'x,,y,', ',', 'no commas', 'ünï,cödé'], shape: [2, 3] };
  // Spaces only: onnxruntime 1.30 splits on ' ' alone (see the spec's whitespace below).
  const spaced = { strings: ['  one two  three ', '', 'x', '   ', 'a  b'] };
  const cases: [string, Graph][] = [
    ['StringConcat, broadcasting [2, 3] with [3]', concat(words, { strings: ['!', '', ' ünï'] })],
    ['StringConcat, [2, 1] with [1, 3]', concat({ strings: ['a', 'b'], shape: [2, 1] }, { strings: ['x', 'y', 'z'], shape: [1, 3] })],
    ['StringConcat, a 0-d Y', concat(words, { strings: ['_end'], shape: [] })],
    ['StringSplit on a delimiter: empty substrings kept, an empty string has none', split(csv, { delimiter: ',' })],
    ['StringSplit on a delimiter, maxsplit 1', split(csv, { delimiter: ',', maxsplit: 1 })],
    ['StringSplit on a longer delimiter', split({ strings: ['abcabc', 'abcab', 'ab', 'xabcy'] }, { delimiter: 'abc' })],
    ['StringSplit on white space: runs are one separator, the ends trimmed', split(spaced, {})],
    ['StringSplit on white space, maxsplit 1', split(spaced, { delimiter: '', maxsplit: 1 })],
    ['StringSplit on white space, maxsplit 0', split(spaced, { maxsplit: 0 })],
    ['RegexFullMatch: the whole string, alternation and classes', match({ strings: ['abc', 'abcd', 'xabc', 'a1', 'b22', ''] }, 'abc|[ab]\\d+')],
    ['RegexFullMatch: . is all but \\n (\\r too), and a code point', match({ strings: ['a\nb', 'a\rb', 'a😀b', 'ab'] }, 'a.b')],
    ['RegexFullMatch: (?s) lets . match \\n', match({ strings: ['a\nb', 'ab'] }, '(?s)a.b')],
    ['RegexFullMatch: \\d, \\w and \\s are ASCII (\\s without \\v)', match({ strings: ['1 a_', '\u0661 a_', '1\u00a0a_', '1\va_', '1\ta_'] }, '\\d\\s\\w+')],
    ['RegexFullMatch: (?i), \\pL and \\p{Greek}', match({ strings: ['Éα', 'eA', 'éΑ', 'e1'] }, '(?i)\\pL\\p{Greek}')],
    ['RegexFullMatch: POSIX classes and a ] first in a class', match({ strings: ['ab]', ']', 'a1', 'a-'] }, '[]a-z]+|[[:alpha:]][[:digit:]]')],
    ['RegexFullMatch: (?m) lines, \\A and \\z', match({ strings: ['a\nb', 'ab', 'a\n\nb'] }, '(?m)\\Aa$\\n^b\\z')],
    ['RegexFullMatch: a { that starts no repetition, \\Q...\\E, octal and \\x escapes, (?P<name>)', match({ strings: ['x{.+\n\u00e9', 'x{a+\n\u00e9', 'xx'] }, '(?P<n>x)\\{\\Q.+\\E\\012\\x{e9}|x{2}')],
    ['RegexFullMatch: escaped punctuation, \\a, a 2-D input', match({ strings: ['a-', 'a!', '\u0007', 'b'], shape: [2, 2] }, 'a\\-|a\\!|\\a')],
  ];
  for (const [label, g] of cases) it(label, async () => matches(g));

  it('StringSplit on white space as the spec says (any white space, as numpy\'s str.split), where onnxruntime 1.30 splits on spaces only', async () => {
    const m = await loadOnnx(model(split({ strings: ['\ta\t\tb\nc\u00a0d\u3000', 'e\vf'] }, { maxsplit: 2 })), { namedOutputs: true });
    const out = m.forward(new StringTensor(['\ta\t\tb\nc\u00a0d\u3000', 'e\vf'])) as Record<string, tl.Tensor | StringTensor>;
    expect((out.out0 as StringTensor).array()).toEqual([['a', 'b', 'c\u00a0d'], ['e', 'f', '']]);
    expect(Array.from((out.out1 as tl.Tensor).dataSync() as ArrayLike<number>, Number)).toEqual([3, 2]);
  });

  it('RegexFullMatch refuses what RE2 rejects or a JS RegExp cannot say the same way, at load time', async () => {
    const refused: [string, string][] = [
      ['(a)\\1', 'backreference \\1 is not supported (RE2 has none)'],
      ['a(?=b)b', 'lookaround (?=, (?!, (?<=, (?<! is not supported (RE2 has none)'],
      ['(?<!x)a', 'lookaround'],
      ['(?P<x>a)(?P=x)', 'backreference (?P=name) is not supported'],
      ['(?U)a+', 'the ungreedy flag (?U) is not supported'],
      ['a(?i)b', 'flags (?i)b... other than at the start of the pattern are not supported'],
      ['a\\Z', 'escape \\Z is not supported'],
      ['a\\C', 'escape \\C is not supported'],
      ['[a', 'an unterminated character class'],
      ['a)', 'Invalid regular expression'],
    ];
    for (const [pattern, message] of refused) {
      const bytes = model({ feeds: { x: { strings: ['a'] } }, nodes: [node('RegexFullMatch', ['x'], { pattern })], outputs: { out0: 'bool' } }, 20);
      await expect(loadOnnx(bytes), pattern).rejects.toThrow(`RegexFullMatch 'n': pattern ${JSON.stringify(pattern)}: `);
      await expect(loadOnnx(bytes), pattern).rejects.toThrow(message);
    }
    await expect(loadOnnx(model({ feeds: { x: { strings: ['a'] } }, nodes: [node('RegexFullMatch', ['x'])], outputs: { out0: 'bool' } }, 20))).rejects.toThrow("RegexFullMatch 'n': attribute pattern is missing");
    const numbers = await loadOnnx(model(concat({ float: [1] }, { strings: ['a'] })));
    expect(() => numbers.forward(tl.tensor([1]), new StringTensor(['a']))).toThrow("StringConcat 'n': input X is a float32 tensor; a string tensor is needed");
  });

  it('the opset 20 string operators are supported', () => {
    for (const op of ['StringConcat', 'StringSplit', 'RegexFullMatch']) expect(supportedOps).toContain(op);
  });
});
