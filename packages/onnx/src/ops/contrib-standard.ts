// com.microsoft's forms of standard operators, which files from onnxruntime's converters and
// optimiser hold (many from before ONNX had them): the ONNX implementations, run with the
// inputs, attributes and outputs of these forms, and a few small operators of their own.
import { Host } from '../value.js';
import { type OpSpec, attrString, hostOf, intsOf, one, only, shapeOf, tensorOf, tl } from './context.js';
import { networkOps } from './network.js';
import { shapeOps } from './shape.js';

export const contribStandardOps: Record<string, OpSpec> = {
  // ONNX's Trilu, unchanged, and opset 16's GridSample (bilinear and bicubic by those names) whatever the model's opset.
  Trilu: shapeOps.Trilu!,
  GridSample: {
    attributes: networkOps.GridSample!.attributes,
    check: (attrs) => networkOps.GridSample!.check!(attrs, 16),
    run: (ctx, inputs, attrs) => networkOps.GridSample!.run({ ...ctx, opset: 16 }, inputs, attrs),
  },
  // GatherND without batch_dims.
  GatherND: { attributes: [], run: (ctx, inputs) => shapeOps.GatherND!.run(ctx, inputs, {}) },
  // Range whose delta may be left out (1).
  Range: {
    attributes: [],
    run: (ctx, [start, limit, delta]) => shapeOps.Range!.run(ctx, [start, limit, delta ?? Host.scalar(hostOf(ctx, start, 'start').dtype, 1)], {}),
  },
  // Pad with pads (and the constant value) as inputs in every opset; its modes are opset 18's (no wrap, whatever the model's opset).
  Pad: {
    attributes: ['mode'],
    check: (attrs) => only(attrs, 'mode', ['constant', 'reflect', 'edge']),
    run: (ctx, [x, pads, value], attrs) => shapeOps.Pad!.run(ctx, [x, pads, value], attrs),
  },
  // Unique of a 1-D tensor in order of first occurrence: the values, each element's index into them, and their counts.
  Unique: {
    attributes: [],
    outputs: 3,
    run(ctx, [x]) {
      const rank = shapeOf(x!).length;
      if (rank !== 1) throw new Error(`${ctx.node}: x must be 1-D, got rank ${rank}`);
      const [y, , inverse, counts] = shapeOps.Unique!.run(ctx, [x], { sorted: 0 });
      return [y!, inverse!, counts!];
    },
  },
  // Unsqueeze at an axis given as an int32 scalar input.
  ExpandDims: {
    attributes: [],
    run(ctx, [x, axis]) {
      const t = tensorOf(ctx, x, 'X');
      const [a] = intsOf(ctx, axis, 'axis');
      if (a === undefined || a < -t.rank - 1 || a > t.rank) throw new Error(`${ctx.node}: axis ${a} is out of range for an input of rank ${t.rank}`);
      return one(t.unsqueeze(a < 0 ? a + t.rank + 1 : a));
    },
  },
  // The inverse of each matrix in a batch.
  Inverse: { attributes: [], run: (ctx, [x]) => one(tl.linalg.inv(tensorOf(ctx, x, 'X'))) },
  // Pairwise distances of A's rows [N, K] to B's [M, K]: squared (the default) or not.
  CDist: {
    attributes: ['metric'],
    check: (attrs) => only(attrs, 'metric', ['sqeuclidean', 'euclidean']),
    run(ctx, [a, b], attrs) {
      const [x, y] = [tensorOf(ctx, a, 'A'), tensorOf(ctx, b, 'B')];
      if (x.rank !== 2 || y.rank !== 2 || x.shape[1] !== y.shape[1]) throw new Error(`${ctx.node}: A [${x.shape}] and B [${y.shape}] must be [N, K] and [M, K]`);
      const d = tl.cdist(x, y);
      return one(attrString(attrs, 'metric', 'sqeuclidean') === 'euclidean' ? d : d.square());
    },
  },
};
