// ONNX's experimental operators, removed at opset 10 and still run by onnxruntime in files of
// opsets 7 to 9 (the older model zoo and converters: CoreML's and Keras's write ImageScaler,
// Affine, Crop and ScaledTanh). Each is refused in files of opset 10 or later, as there.
import type { Tensor } from '@tensile/core';
import { type Attributes, type OpSpec, attrInts, attrNumber, one, tensorOf, tl } from './context.js';
import { shapeOps } from './shape.js';

/** The experimental operators ended at opset 10; `required` attributes have no default in onnxruntime. */
function experimental(attributes: string[], required: string[], run: OpSpec['run'], more?: (attrs: Attributes) => string[]): OpSpec {
  return {
    attributes,
    check: (attrs, opset) => [
      ...(opset >= 10 ? [`is an experimental operator of opsets 1 to 9, removed at opset 10 (this file is opset ${opset})`] : []),
      ...required.filter((name) => attrs[name] === undefined).map((name) => `attribute ${name} is missing`),
      ...(more?.(attrs) ?? []),
    ],
    run,
  };
}

/** An elementwise experimental operator of float attributes alpha and beta. */
function withAlphaBeta(required: string[], fn: (x: Tensor, alpha: number, beta: number) => Tensor, defaults: [number, number] = [1, 0]): OpSpec {
  return experimental(['alpha', 'beta'], required, (ctx, [x], attrs) => one(fn(tensorOf(ctx, x, 'X'), attrNumber(attrs, 'alpha', defaults[0]), attrNumber(attrs, 'beta', defaults[1]))));
}

export const experimentalOps: Record<string, OpSpec> = {
  Affine: withAlphaBeta([], (x, alpha, beta) => x.mul(alpha).add(beta)),
  ScaledTanh: withAlphaBeta(['alpha', 'beta'], (x, alpha, beta) => tl.tanh(x.mul(beta)).mul(alpha)),
  ParametricSoftplus: withAlphaBeta(['alpha', 'beta'], (x, alpha, beta) => tl.softplus(x.mul(beta)).mul(alpha)),
  Scale: experimental(['scale'], [], (ctx, [x], attrs) => one(tensorOf(ctx, x, 'input').mul(attrNumber(attrs, 'scale', 1)))),
  // scale · x + bias[c] on NCHW images (a per-channel bias list).
  ImageScaler: experimental(['bias', 'scale'], ['bias', 'scale'], (ctx, [x], attrs) => {
    const t = tensorOf(ctx, x, 'input');
    const bias = attrs.bias as number[];
    if (t.rank !== 4 || t.shape[1] !== bias.length) throw new Error(`${ctx.node}: input of shape [${t.shape}] must be NCHW with ${bias.length} channels (one per bias)`);
    return one(t.mul(attrNumber(attrs, 'scale', 1)).add(tl.tensor(bias, { device: t.device }).reshape([1, -1, 1, 1])));
  }),
  // NCHW crop: border [left, top, right, bottom]; with scale [height, width], that size from the top-left border.
  Crop: experimental(['border', 'scale'], ['border'], (ctx, [x], attrs) => {
    const t = tensorOf(ctx, x, 'input');
    const [left, top, right, bottom] = attrInts(attrs, 'border')!;
    const size = attrInts(attrs, 'scale');
    const [h, w] = [t.shape[2]!, t.shape[3]!];
    const [height, width] = size ?? [h - top! - bottom!, w - left! - right!];
    if (t.rank !== 4 || height! < 0 || width! < 0 || top! + height! > h || left! + width! > w) {
      throw new Error(`${ctx.node}: border [${attrInts(attrs, 'border')}]${size ? ` and scale [${size}]` : ''} do not fit an NCHW input of shape [${t.shape}]`);
    }
    return one(tl.slice(tl.slice(t, 2, top!, top! + height!), 3, left!, left! + width!));
  }, (attrs) => {
    const problems: string[] = [];
    if ((attrInts(attrs, 'border') ?? [0, 0, 0, 0]).length !== 4) problems.push('attribute border must have four values (left, top, right, bottom)');
    if (attrs.scale !== undefined && attrInts(attrs, 'scale')!.length !== 2) problems.push('attribute scale must have two values (height, width)');
    return problems;
  }),
  // Slice with starts, ends and axes as inputs (Slice-10 without steps).
  DynamicSlice: experimental([], [], (ctx, [x, starts, ends, axes]) => shapeOps.Slice!.run(ctx, [x, starts, ends, axes], {})),
};
