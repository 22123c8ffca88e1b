/**
 * 2-D max and average pooling and their gradients, as direct loops over windows.
 *
 * Window (oh, ow) covers input rows `oh * strideH - padH + i * dilH` for i < kH (columns
 * alike). Cells outside the input are padding: -inf for max; for avg they count in the
 * divisor only with `countIncludePad`, and only up to `padding` past the edge, as PyTorch.
 */
import { poolGeometry, type Pool2dParams, type PoolGeometry, type PoolOp, type TensorView } from '@tensile/core';
import { float32Of } from '../buffer.js';
import { fill } from './elementwise.js';

function isMax(op: PoolOp): boolean {
  switch (op) {
    case 'max':
      return true;
    case 'avg':
      return false;
    default:
      throw new Error(`cpu backend: unknown pool op '${op satisfies never}'`);
  }
}

/**
 * Position `ih * width + iw` of a window's maximum within its plane (-1 for an all-padding
 * window). Like PyTorch: the first maximum wins ties, a NaN always takes over, and the first
 * real cell is the starting candidate even when it is -inf.
 */
function windowArgmax(x: Float32Array, base: number, sH: number, sW: number, h0: number, w0: number, g: PoolGeometry): number {
  const { kH, kW, dilH, dilW, inH: height, inW: width } = g;
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < kH; i++) {
    const ih = h0 + i * dilH;
    if (ih < 0 || ih >= height) continue;
    for (let j = 0; j < kW; j++) {
      const iw = w0 + j * dilW;
      if (iw < 0 || iw >= width) continue;
      const v = x[base + ih * sH + iw * sW];
      if (best < 0 || v > bestValue || v !== v) {
        best = ih * width + iw;
        bestValue = v;
      }
    }
  }
  return best;
}

/** The average's divisor for the window whose top-left corner is (h0, w0). */
function avgDivisor(h0: number, w0: number, g: PoolGeometry): number {
  const { kH, kW, dilH, dilW, padH, padW, inH: height, inW: width } = g;
  const inc = g.countIncludePad === 1;
  const lowH = inc ? -padH : 0, highH = inc ? height + padH : height;
  const lowW = inc ? -padW : 0, highW = inc ? width + padW : width;
  let rows = 0, cols = 0;
  for (let i = 0; i < kH; i++) if (h0 + i * dilH >= lowH && h0 + i * dilH < highH) rows++;
  for (let j = 0; j < kW; j++) if (w0 + j * dilW >= lowW && w0 + j * dilW < highW) cols++;
  return rows * cols;
}

export function pool2d(op: PoolOp, x: TensorView, out: TensorView, p: Pool2dParams): void {
  const max = isMax(op);
  const xd = float32Of(x, 'pool2d');
  const od = float32Of(out, 'pool2d');
  const g = poolGeometry(x.shape, out.shape, p);
  const { batch, channels, inH: height, inW: width, outH: oH, outW: oW, kH, kW, dilH, dilW } = g;
  const [xN, xC, sH, sW] = x.strides;
  let o = out.offset; // out is contiguous
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const base = x.offset + n * xN + c * xC;
      for (let oh = 0; oh < oH; oh++) {
        const h0 = oh * g.strideH - g.padH;
        for (let ow = 0; ow < oW; ow++, o++) {
          const w0 = ow * g.strideW - g.padW;
          if (max) {
            const at = windowArgmax(xd, base, sH, sW, h0, w0, g);
            od[o] = at < 0 ? -Infinity : xd[base + Math.floor(at / width) * sH + (at % width) * sW];
            continue;
          }
          let sum = 0;
          for (let i = 0; i < kH; i++) {
            const ih = h0 + i * dilH;
            if (ih < 0 || ih >= height) continue;
            for (let j = 0; j < kW; j++) {
              const iw = w0 + j * dilW;
              if (iw >= 0 && iw < width) sum += xd[base + ih * sH + iw * sW];
            }
          }
          od[o] = sum / avgDivisor(h0, w0, g);
        }
      }
    }
  }
}

/** Max sends each window's gradient to its first maximum; avg spreads it with forward's divisor. */
export function pool2dBackward(op: PoolOp, x: TensorView, dy: TensorView, out: TensorView, p: Pool2dParams): void {
  const max = isMax(op);
  const xd = float32Of(x, 'pool2dBackward');
  const dyd = float32Of(dy, 'pool2dBackward');
  const dx = float32Of(out, 'pool2dBackward');
  const g = poolGeometry(x.shape, dy.shape, p);
  const { batch, channels, inH: height, inW: width, outH: oH, outW: oW, kH, kW, dilH, dilW } = g;
  const [xN, xC, sH, sW] = x.strides;
  const [dN, dC, dH, dW] = dy.strides;
  const [gN, gC, gH, gW] = out.strides;
  fill(out, 0);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const base = x.offset + n * xN + c * xC;
      const gBase = out.offset + n * gN + c * gC;
      for (let oh = 0; oh < oH; oh++) {
        const h0 = oh * g.strideH - g.padH;
        for (let ow = 0; ow < oW; ow++) {
          const w0 = ow * g.strideW - g.padW;
          const grad = dyd[dy.offset + n * dN + c * dC + oh * dH + ow * dW];
          if (max) {
            const at = windowArgmax(xd, base, sH, sW, h0, w0, g);
            if (at >= 0) dx[gBase + Math.floor(at / width) * gH + (at % width) * gW] += grad;
            continue;
          }
          const share = grad / avgDivisor(h0, w0, g);
          for (let i = 0; i < kH; i++) {
            const ih = h0 + i * dilH;
            if (ih < 0 || ih >= height) continue;
            for (let j = 0; j < kW; j++) {
              const iw = w0 + j * dilW;
              if (iw >= 0 && iw < width) dx[gBase + ih * gH + iw * gW] += share;
            }
          }
        }
      }
    }
  }
}
