/** Max and average pooling over 2-D windows. */
import { recordOp } from '../autograd/engine.js';
import type { Pool2dParams, PoolOp } from '../backend/contract.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, pair } from './util.js';
import { isFloating } from '../dtype.js';

export interface MaxPool2dOptions {
  kernelSize: number | [number, number];
  /** Default: the kernel size. */
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
}

export interface AvgPool2dOptions {
  kernelSize: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** Count zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function params(op: string, x: Tensor, o: MaxPool2dOptions & AvgPool2dOptions): Pool2dParams {
  if (o?.kernelSize === undefined) throw new Error(`${op}: options.kernelSize is required`);
  const kernelSize = pair(op, 'kernelSize', o.kernelSize, 1);
  const stride = pair(op, 'stride', o.stride, 0);
  const p: Pool2dParams = {
    kernelSize,
    stride: o.stride === undefined ? kernelSize : stride,
    padding: pair(op, 'padding', o.padding, 0),
    dilation: pair(op, 'dilation', o.dilation, 1),
    countIncludePad: o.countIncludePad ?? true,
  };
  for (const i of [0, 1] as const) {
    if (p.kernelSize[i] < 1 || p.stride[i] < 1 || p.dilation[i] < 1) {
      throw new Error(`${op}: kernelSize, stride and dilation must be positive, got ${JSON.stringify(o)}`);
    }
    if (p.padding[i] < 0 || p.padding[i] * 2 > p.kernelSize[i]) {
      throw new Error(`${op}: padding ${formatShape(p.padding)} must be at most half the kernel size ${formatShape(p.kernelSize)}`);
    }
  }
  if (!isFloating(x.dtype)) throw new TypeError(`${op}: expected a floating input, got ${x.dtype}`);
  return p;
}

function outputShape(op: string, x: Tensor, p: Pool2dParams): number[] {
  const [n, c, h, w] = x.shape;
  const size = (len: number, i: 0 | 1) =>
    Math.floor((len + 2 * p.padding[i] - p.dilation[i] * (p.kernelSize[i] - 1) - 1) / p.stride[i]) + 1;
  const oh = size(h, 0);
  const ow = size(w, 1);
  if (oh < 1 || ow < 1) throw new Error(`${op}: window ${formatShape(p.kernelSize)} does not fit the input ${formatShape(x.shape)}`);
  return [n, c, oh, ow];
}

function poolBackward(op: PoolOp, x: Tensor, dy: Tensor, p: Pool2dParams): Tensor {
  const out = empty(x.backend, x.shape, x.dtype);
  x.backend.pool2dBackward(op, x.kernelView, dy.kernelView, out.kernelView, p);
  if (op === 'avg') {
    // Average pooling is linear in dy: its adjoint's adjoint is the pooling itself.
    return recordOp('avgPool2dBackward', [dy], out, [], (g) => [poolCore('avg', g, p)]);
  }
  return recordOp('maxPool2dBackward', [dy], out, [], () => {
    throw new Error('maxPool2d: second derivatives through max pooling are not supported');
  });
}

function poolCore(op: PoolOp, x: Tensor, p: Pool2dParams): Tensor {
  const out = empty(x.backend, outputShape(`${op}Pool2d`, x, p), x.dtype);
  x.backend.pool2d(op, x.kernelView, out.kernelView, p);
  return recordOp(`${op}Pool2d`, [x], out, [x], (g, [sx]) => [poolBackward(op, sx, g, p)]);
}

function pool(op: PoolOp, name: string, x: Tensor, options: MaxPool2dOptions & AvgPool2dOptions): Tensor {
  if (x.rank !== 4 && x.rank !== 3) throw new Error(`${name}: input must be [N, C, H, W] or [C, H, W], got ${formatShape(x.shape)}`);
  const p = params(name, x, options);
  if (x.rank === 4) return poolCore(op, x, p);
  const x4 = x.unsqueeze(0);
  const y4 = poolCore(op, x4, p);
  const out = y4.squeeze(0);
  x4.dispose();
  y4.dispose();
  return out;
}

/**
 * Max over each window of `x` `[N, C, H, W]`; padding counts as -inf.
 *
 * @example
 * ```ts
 * tl.maxPool2d(x, { kernelSize: 2 });
 * ```
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  return pool('max', 'maxPool2d', x, options);
}

/**
 * Mean over each window of `x` `[N, C, H, W]`.
 *
 * @example
 * ```ts
 * tl.avgPool2d(x, { kernelSize: 2, stride: 2 });
 * ```
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  return pool('avg', 'avgPool2d', x, options as MaxPool2dOptions & AvgPool2dOptions);
}
