/**
 * 2-D convolution and its two gradients, all as im2col + GEMM.
 *
 * For one image and one group, im2col lays the input out as a matrix `col` of shape
 * [C/groups * kH * kW, oH * oW] (one column per output pixel), so that
 *   forward:          out[n, g]  = W_g · col(x[n, g])
 *   grad wrt weight:  dW_g      += dy[n, g] · col(x[n, g])^T
 *   grad wrt input:   dx[n, g]   = col2im(W_g^T · dy[n, g])
 * and the blocked {@link gemm} does all the arithmetic. A 1x1, stride-1, unpadded
 * convolution skips im2col: the input already is that matrix.
 */
import { convGeometry, type Conv2dParams, type ConvGeometry as Geometry, type TensorView } from '@tensile/core';
import { float32Of } from '../buffer.js';
import { contiguousFloat32 } from '../strided.js';
import { fill } from './elementwise.js';
import { gemm, type Matrix } from './matmul.js';

/** Rows of the im2col matrix (the GEMM's depth) and its columns (output pixels). */
function colSize(g: Geometry): { rows: number; cols: number } {
  return { rows: g.inCPerGroup * g.kH * g.kW, cols: g.outH * g.outW };
}

/** A matrix whose rows lie `rowStride` apart and whose entries within a row are adjacent. */
function rowMajor(data: Float32Array, offset: number, rowStride: number): Matrix {
  return { data, offset, rowStride, colStride: 1 };
}

/**
 * The [rows, cols] input matrix of image `n`, group `group`: a view of `x` itself for 1x1
 * unit-stride unpadded convolutions whose (H, W) dims merge, otherwise im2col into `col`.
 */
function inputMatrix(x: TensorView, g: Geometry, n: number, group: number, col: Float32Array): Matrix {
  const data = float32Of(x, 'conv2d');
  const [sN, sC, sH, sW] = x.strides;
  const base = x.offset + n * sN + group * g.inCPerGroup * sC;
  const pointwise = g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
  if (pointwise && (g.inH === 1 || g.inW === 1 || sH === g.inW * sW)) {
    return { data, offset: base, rowStride: sC, colStride: g.inW === 1 ? sH : sW };
  }
  im2col(data, base, sC, sH, sW, g, col);
  return rowMajor(col, 0, colSize(g).cols);
}

/** The [outC / groups, cols] matrix of dy for image `n`, group `group`, from a contiguous dy. */
function gradOutputMatrix(dy: { data: Float32Array; offset: number }, g: Geometry, n: number, group: number): Matrix {
  const { cols } = colSize(g);
  return rowMajor(dy.data, dy.offset + (n * g.outC + group * g.outCPerGroup) * cols, cols);
}

/**
 * Walks the im2col matrix in its row-major order, one run of `outW` entries (one output row
 * oh for input channel c and kernel tap (kh, kw)) at a time: `visit(start, row, shift)` gets
 * the run's first entry, the first element of the input row it reads (-1 where that row lies
 * in the padding) and the shift that puts output column ow at input column
 * ow * strideW + shift. im2col and its adjoint col2im share it, so they pair entries alike.
 */
function forEachColumnRun(
  base: number, sC: number, sH: number, g: Geometry, visit: (start: number, row: number, shift: number) => void,
): void {
  const { strideH, padH, padW, dilH, dilW, outH: oH, outW: oW, inH: height } = g;
  let start = 0;
  for (let c = 0; c < g.inCPerGroup; c++) {
    for (let kh = 0; kh < g.kH; kh++) {
      for (let kw = 0; kw < g.kW; kw++) {
        const shift = kw * dilW - padW;
        for (let oh = 0; oh < oH; oh++, start += oW) {
          const ih = oh * strideH - padH + kh * dilH;
          visit(start, ih < 0 || ih >= height ? -1 : base + c * sC + ih * sH, shift);
        }
      }
    }
  }
}

function im2col(x: Float32Array, base: number, sC: number, sH: number, sW: number, g: Geometry, col: Float32Array): void {
  const { strideW, outW: oW, inW: width } = g;
  forEachColumnRun(base, sC, sH, g, (start, row, shift) => {
    if (row < 0) {
      col.fill(0, start, start + oW);
      return;
    }
    for (let ow = 0; ow < oW; ow++) {
      const iw = ow * strideW + shift;
      col[start + ow] = iw >= 0 && iw < width ? x[row + iw * sW] : 0;
    }
  });
}

/** The adjoint of im2col: add each column entry back onto the input pixel it came from. */
function col2im(col: Float32Array, dx: Float32Array, base: number, sC: number, sH: number, sW: number, g: Geometry): void {
  const { strideW, outW: oW, inW: width } = g;
  forEachColumnRun(base, sC, sH, g, (start, row, shift) => {
    if (row < 0) return;
    for (let ow = 0; ow < oW; ow++) {
      const iw = ow * strideW + shift;
      if (iw >= 0 && iw < width) dx[row + iw * sW] += col[start + ow];
    }
  });
}

/** Weight matrix of one group, [outChannels / groups, rows], from a contiguous weight. */
function weightMatrix(w: { data: Float32Array; offset: number }, g: Geometry, group: number, transposed: boolean): Matrix {
  const rows = colSize(g).rows;
  const offset = w.offset + group * g.outCPerGroup * rows;
  return transposed ? { data: w.data, offset, rowStride: 1, colStride: rows } : rowMajor(w.data, offset, rows);
}

export function conv2d(x: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
  const g = convGeometry(x.shape, weight.shape, out.shape, params);
  const w = contiguousFloat32(weight);
  const od = float32Of(out, 'conv2d');
  const { rows, cols } = colSize(g);
  const col = new Float32Array(rows * cols);
  for (let n = 0; n < g.batch; n++) {
    for (let group = 0; group < params.groups; group++) {
      const c = rowMajor(od, out.offset + n * out.strides[0] + group * g.outCPerGroup * out.strides[1], out.strides[1]);
      gemm(g.outCPerGroup, cols, rows, weightMatrix(w, g, group, false), inputMatrix(x, g, n, group, col), c, false);
    }
  }
}

export function conv2dBackwardInput(dy: TensorView, weight: TensorView, out: TensorView, params: Conv2dParams): void {
  const g = convGeometry(out.shape, weight.shape, dy.shape, params);
  const w = contiguousFloat32(weight);
  const dyc = contiguousFloat32(dy);
  const dx = float32Of(out, 'conv2dBackwardInput');
  const [sN, sC, sH, sW] = out.strides;
  const { rows, cols } = colSize(g);
  const dcol = new Float32Array(rows * cols);
  fill(out, 0);
  for (let n = 0; n < g.batch; n++) {
    for (let group = 0; group < params.groups; group++) {
      gemm(rows, cols, g.outCPerGroup, weightMatrix(w, g, group, true), gradOutputMatrix(dyc, g, n, group), rowMajor(dcol, 0, cols), false);
      col2im(dcol, dx, out.offset + n * sN + group * g.inCPerGroup * sC, sC, sH, sW, g);
    }
  }
}

export function conv2dBackwardWeight(x: TensorView, dy: TensorView, out: TensorView, params: Conv2dParams): void {
  const g = convGeometry(x.shape, out.shape, dy.shape, params);
  const dyc = contiguousFloat32(dy);
  const dw = float32Of(out, 'conv2dBackwardWeight');
  const { rows, cols } = colSize(g);
  const col = new Float32Array(rows * cols);
  fill(out, 0);
  for (let n = 0; n < g.batch; n++) {
    for (let group = 0; group < params.groups; group++) {
      const input = inputMatrix(x, g, n, group, col);
      // col^T: swap the strides rather than transposing any data.
      const inputT: Matrix = { data: input.data, offset: input.offset, rowStride: input.colStride, colStride: input.rowStride };
      const dwMatrix = rowMajor(dw, out.offset + group * g.outCPerGroup * rows, rows);
      gemm(g.outCPerGroup, rows, cols, gradOutputMatrix(dyc, g, n, group), inputT, dwMatrix, true);
    }
  }
}
