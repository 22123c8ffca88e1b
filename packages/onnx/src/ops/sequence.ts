// ONNX sequences: ordered lists of tensors, which PyTorch's exports make from TorchScript lists
// (a list appended to in a loop, then stacked or concatenated). A sequence is immutable: each
// operator that changes one makes a new one. Also ONNX's optionals (TorchScript's Optional):
// a tensor or sequence, or nothing.
import { Host, hostSlice, isHost, isIntegerDType, type Item, Optional, Sequence, StringTensor, type Value, withShape } from '../value.js';
import { type OpContext, type ItemOpSpec, attrNumber, attrString, axisOf, graphAttr, intsOf, isSubgraph, kindOfItem, shapeOf, stackValues, tl, valueOf } from './context.js';
import { shapeOps } from './shape.js';

const FLOAT = 1;

/** float, integer or bool: what Tensile keeps of an ONNX element type (int32 tensors stand for int64). */
function kind(code: number): string {
  return code === 9 ? 'bool' : [2, 3, 4, 5, 6, 7, 12, 13].includes(code) ? 'integer' : 'float';
}

function kindOf(v: Value): string {
  return v.dtype === 'bool' ? 'bool' : isIntegerDType(v.dtype) ? 'integer' : 'float';
}

function sequenceOf(ctx: OpContext, item: Item | undefined, what: string): Sequence {
  if (!(item instanceof Sequence)) throw new Error(`${ctx.node}: ${what} must be a sequence, got ${item === undefined ? 'nothing' : kindOfItem(item)}`);
  return item;
}

function tensorItem(ctx: OpContext, item: Item | undefined, what: string): Value {
  if (item === undefined) throw new Error(`${ctx.node}: input ${what} is missing`);
  return valueOf(ctx, item, what);
}

/** A position in a sequence of `n` values; ONNX allows [-n, n - 1] (to [-n, n] where one inserts). */
function positionOf(ctx: OpContext, item: Item | undefined, n: number, fallback: number, inserting = false): number {
  if (item === undefined) return fallback;
  const p = intsOf(ctx, valueOf(ctx, item, 'position'), 'position')[0]!;
  const last = inserting ? n : n - 1;
  if (p < -n || p > last) throw new Error(`${ctx.node}: position ${p} is out of range for a sequence of ${n} (${-n} to ${last})`);
  return p < 0 ? p + n : p;
}

function withItem(ctx: OpContext, seq: Sequence, v: Value, at: number): Sequence {
  if (kind(seq.elemType) !== kindOf(v)) throw new Error(`${ctx.node}: the sequence holds ${kind(seq.elemType)} tensors, got a ${kindOf(v)} one`);
  return new Sequence(seq.elemType, [...seq.items.slice(0, at), v, ...seq.items.slice(at)]);
}

function elemTypeOf(v: Value): number {
  return { float: FLOAT, integer: 7, bool: 9 }[kindOf(v)]!;
}

/** SplitToSequence's pieces of `v` along `axis`, of the given sizes. */
function pieces(v: Value, axis: number, sizes: number[]): Value[] {
  if (!isHost(v)) return tl.split(v, sizes, axis);
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  return sizes.map((size, i) => hostSlice(v, axis, starts[i]!, starts[i]! + size, 1));
}

export const sequenceOps: Record<string, ItemOpSpec> = {
  SequenceEmpty: {
    items: true,
    attributes: ['dtype'],
    run: (_ctx, _inputs, attrs) => [new Sequence(attrNumber(attrs, 'dtype', FLOAT), [])],
  },
  SequenceConstruct: {
    items: true,
    attributes: [],
    run(ctx, inputs) {
      const values = inputs.map((v, i) => tensorItem(ctx, v, `${i}`));
      if (values.length === 0) throw new Error(`${ctx.node}: SequenceConstruct needs at least one input`);
      const first = values[0]!;
      return [values.slice(1).reduce((seq, v) => withItem(ctx, seq, v, seq.items.length), new Sequence(elemTypeOf(first), [first]))];
    },
  },
  SequenceInsert: {
    items: true,
    attributes: [],
    run(ctx, [s, v, position]) {
      const seq = sequenceOf(ctx, s, 'input_sequence');
      return [withItem(ctx, seq, tensorItem(ctx, v, 'tensor'), positionOf(ctx, position, seq.items.length, seq.items.length, true))];
    },
  },
  SequenceAt: {
    items: true,
    attributes: [],
    run(ctx, [s, position]) {
      const seq = sequenceOf(ctx, s, 'input_sequence');
      if (position === undefined) throw new Error(`${ctx.node}: input position is missing`);
      return [seq.items[positionOf(ctx, position, seq.items.length, 0)]!];
    },
  },
  SequenceErase: {
    items: true,
    attributes: [],
    run(ctx, [s, position]) {
      const seq = sequenceOf(ctx, s, 'input_sequence');
      if (seq.items.length === 0) throw new Error(`${ctx.node}: cannot erase from an empty sequence`);
      const at = positionOf(ctx, position, seq.items.length, seq.items.length - 1);
      return [new Sequence(seq.elemType, seq.items.filter((_, i) => i !== at))];
    },
  },
  SequenceLength: {
    items: true,
    attributes: [],
    run: (ctx, [s]) => [Host.scalar('int64', sequenceOf(ctx, s, 'input_sequence').items.length)],
  },
  ConcatFromSequence: {
    items: true,
    attributes: ['axis', 'new_axis'],
    check: (attrs) => (typeof attrs.axis === 'number' ? [] : ['attribute axis is required']),
    run(ctx, [s], attrs) {
      const seq = sequenceOf(ctx, s, 'input_sequence');
      if (seq.items.length === 0) throw new Error(`${ctx.node}: cannot concatenate an empty sequence`);
      const axis = attrNumber(attrs, 'axis', 0);
      if (attrNumber(attrs, 'new_axis', 0) === 1) return [stackValues(ctx, seq.items, axis, 'input_sequence')];
      return shapeOps.Concat!.run(ctx, [...seq.items], { axis });
    },
  },
  SplitToSequence: {
    items: true,
    attributes: ['axis', 'keepdims'],
    run(ctx, [x, split], attrs) {
      const v = tensorItem(ctx, x, 'input');
      const shape = shapeOf(v);
      const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), shape.length);
      const n = shape[axis]!;
      const type = elemTypeOf(v);
      if (split === undefined) {
        // Pieces of one, without the axis unless keepdims.
        const keep = attrNumber(attrs, 'keepdims', 1) === 1;
        const out = pieces(v, axis, new Array<number>(n).fill(1));
        return [new Sequence(type, keep ? out : out.map((p) => withShape(p, shape.filter((_, i) => i !== axis))))];
      }
      const given = valueOf(ctx, split, 'split');
      const sizes = intsOf(ctx, given, 'split');
      if (shapeOf(given).length === 0) {
        // One size: equal pieces, the last one smaller when the axis does not divide.
        const size = sizes[0]!;
        if (!(size > 0)) throw new Error(`${ctx.node}: split ${size} must be positive`);
        return [new Sequence(type, pieces(v, axis, Array.from({ length: Math.ceil(n / size) }, (_, i) => Math.min(size, n - i * size))))];
      }
      const total = sizes.reduce((a, b) => a + b, 0);
      if (sizes.some((d) => d < 0) || total !== n) throw new Error(`${ctx.node}: split sizes [${sizes}] must be non-negative and sum to axis ${axis}'s ${n}`);
      return [new Sequence(type, pieces(v, axis, sizes))];
    },
  },
  SequenceMap: {
    items: true,
    attributes: ['body'],
    outputs: Infinity,
    check: (attrs) => (isSubgraph(attrs.body) ? [] : ['attribute body (a graph) is required']),
    run(ctx, [s, ...extra], attrs) {
      const body = graphAttr(attrs, 'body');
      const seq = sequenceOf(ctx, s, 'input_sequence');
      if (body.inputs.length !== 1 + extra.length) throw new Error(`${ctx.node}: the body takes ${body.inputs.length} inputs, the node gives it ${1 + extra.length}`);
      const n = seq.items.length;
      extra.forEach((e, i) => {
        if (e instanceof Sequence && e.items.length !== n) throw new Error(`${ctx.node}: additional input ${i} has ${e.items.length} elements, input_sequence ${n}`);
      });
      // Each additional sequence gives its i-th element; a tensor is passed to every call.
      const results = seq.items.map((v, i) => ctx.runGraph(body, [v, ...extra.map((e, j) => (e instanceof Sequence ? e.items[i]! : tensorItem(ctx, e, `additional ${j}`)))]));
      return body.outputs.map((_, k) => {
        const values = results.map((r) => valueOf(ctx, r[k]!, `body output ${k}`));
        return new Sequence(values[0] ? elemTypeOf(values[0]) : FLOAT, values);
      });
    },
  },
  Optional: {
    items: true,
    attributes: ['type'],
    check: (attrs) => (attrs.type === undefined || typeof attrs.type === 'string' ? [] : ['attribute type must be a type']),
    run(ctx, [x], attrs) {
      if (x instanceof Optional || x instanceof StringTensor) throw new Error(`${ctx.node}: input is ${kindOfItem(x)}; an optional holds a numeric tensor or a sequence`);
      if (x === undefined && attrs.type === undefined) throw new Error(`${ctx.node}: an empty Optional needs the type attribute`);
      return [new Optional(x ?? null, x === undefined ? attrString(attrs, 'type', '') : '')];
    },
  },
  OptionalHasElement: {
    items: true,
    attributes: [],
    // From opset 18 a tensor or sequence counts as present, and a missing input as absent.
    run: (_ctx, [x]) => [Host.scalar('bool', x === undefined ? 0 : x instanceof Optional ? Number(x.value !== null) : 1)],
  },
  OptionalGetElement: {
    items: true,
    attributes: [],
    run(ctx, [x]) {
      if (x === undefined) throw new Error(`${ctx.node}: input is missing`);
      if (!(x instanceof Optional)) return [x];
      if (x.value === null) throw new Error(`${ctx.node}: the optional is empty (of type ${x.type})`);
      return [x.value];
    },
  },
};
