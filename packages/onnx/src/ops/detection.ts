// Detection operators: NonMaxSuppression on the host (its output's size depends on the
// values), and RoiAlign and MaxRoiPool as gathers of X at positions computed on the host
// from the boxes, so that X's gradient flows (the boxes are not differentiated).
import type { Tensor } from '@tensile/core';
import { Host, type Value } from '../value.js';
import { type Attributes, type OpContext, type OpSpec, attrInts, attrNumber, attrString, hostOf, intsOf, one, only, tensorOf, tl } from './context.js';

/** A box as [y1, x1, y2, x2] with y1 <= y2 and x1 <= x2, from either of ONNX's encodings. */
function corners(d: ArrayLike<number>, at: number, centred: boolean): [number, number, number, number] {
  const [a, b, c, e] = [d[at]!, d[at + 1]!, d[at + 2]!, d[at + 3]!];
  // center_point_box 1: [x_center, y_center, width, height].
  if (centred) return [b - e / 2, a - c / 2, b + e / 2, a + c / 2];
  return [Math.min(a, c), Math.min(b, e), Math.max(a, c), Math.max(b, e)];
}

/** Whether the boxes overlap by more than `threshold` (intersection over union), as onnxruntime decides. */
function suppresses(p: number[], q: number[], threshold: number): boolean {
  const h = Math.min(p[2]!, q[2]!) - Math.max(p[0]!, q[0]!);
  const w = Math.min(p[3]!, q[3]!) - Math.max(p[1]!, q[1]!);
  if (h <= 0 || w <= 0) return false;
  const areaP = (p[2]! - p[0]!) * (p[3]! - p[1]!);
  const areaQ = (q[2]! - q[0]!) * (q[3]! - q[1]!);
  if (areaP <= 0 || areaQ <= 0) return false;
  const inter = h * w;
  return inter / (areaP + areaQ - inter) > threshold;
}

function nonMaxSuppression(ctx: OpContext, [b, s, maxV, iouV, scoreV]: (Value | undefined)[], attrs: Attributes): Value[] {
  const boxes = hostOf(ctx, b, 'boxes');
  const scores = hostOf(ctx, s, 'scores');
  const [batches, n] = boxes.shape as [number, number];
  const classes = scores.shape[1]!;
  if (boxes.shape.length !== 3 || boxes.shape[2] !== 4 || scores.shape.length !== 3 || scores.shape[0] !== batches || scores.shape[2] !== n) {
    throw new Error(`${ctx.node}: boxes [${boxes.shape}] and scores [${scores.shape}] must be [batch, boxes, 4] and [batch, classes, boxes]`);
  }
  const most = maxV === undefined ? 0 : intsOf(ctx, maxV, 'max_output_boxes_per_class')[0] ?? 0;
  const iou = iouV === undefined ? 0 : hostOf(ctx, iouV, 'iou_threshold').data[0]!;
  const floor = scoreV === undefined ? null : hostOf(ctx, scoreV, 'score_threshold').data[0]!;
  const centred = attrNumber(attrs, 'center_point_box', 0) === 1;
  const picked: number[] = [];
  for (let batch = 0; batch < batches; batch++) {
    const box = Array.from({ length: n }, (_, i) => corners(boxes.data, (batch * n + i) * 4, centred));
    for (let c = 0; c < classes; c++) {
      const score = (i: number) => scores.data[(batch * classes + c) * n + i]!;
      // Highest score first, the lower index first among equals; scores at or below the threshold never compete.
      const order = Array.from({ length: n }, (_, i) => i).filter((i) => floor === null || score(i) > floor).sort((i, j) => score(j) - score(i) || i - j);
      const kept: number[] = [];
      for (const i of order) {
        if (kept.length >= most) break;
        if (kept.every((k) => !suppresses(box[k]!, box[i]!, iou))) kept.push(i);
      }
      for (const i of kept) picked.push(batch, c, i);
    }
  }
  return one(new Host('int64', [picked.length / 3, 3], picked));
}

/**
 * Rows of X's pixels (X as [N·H·W, C]) and their weights, `taps` per output element: each
 * output is the weighted sum (avg) or the max of its taps' weighted values.
 */
function gatherTaps(x: Tensor, rows: number[], weights: number[], outputs: number, taps: number, max: boolean): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const device = x.device;
  const pixels = x.permute([0, 2, 3, 1]).reshape([n * h * w, c]);
  const picked = tl.indexSelect(pixels, 0, tl.tensor(Int32Array.from(rows), { dtype: 'int32', device }));
  const weighted = picked.mul(tl.tensor(Float32Array.from(weights), { device }).reshape([-1, 1])).reshape([outputs, taps, c]);
  return max ? tl.amax(weighted, 1) : weighted.sum(1);
}

/**
 * RoiAlign as onnxruntime computes it: each bin averages (or, in max mode, takes the largest
 * of) its sampling points, each point a bilinear interpolation of four pixels; max mode takes
 * the largest of the four weighted pixels of each point, not of the interpolated values.
 */
function roiAlign(ctx: OpContext, [xV, roisV, indicesV]: (Value | undefined)[], attrs: Attributes): Value[] {
  const x = tensorOf(ctx, xV, 'X');
  if (x.rank !== 4) throw new Error(`${ctx.node}: X must be [N, C, H, W], got [${x.shape}]`);
  const [batches, channels, height, width] = x.shape as [number, number, number, number];
  const rois = hostOf(ctx, roisV, 'rois');
  const batchOf = intsOf(ctx, indicesV, 'batch_indices');
  const r = rois.shape[0]!;
  if (rois.shape.length !== 2 || rois.shape[1] !== 4 || batchOf.length !== r) throw new Error(`${ctx.node}: rois [${rois.shape}] must be [R, 4] with R batch_indices (got ${batchOf.length})`);
  const [ph, pw] = [attrNumber(attrs, 'output_height', 1), attrNumber(attrs, 'output_width', 1)];
  const ratio = attrNumber(attrs, 'sampling_ratio', 0);
  const scale = attrNumber(attrs, 'spatial_scale', 1);
  // Before opset 16 there is no such attribute, and the behaviour is output_half_pixel's.
  const halfPixel = attrString(attrs, 'coordinate_transformation_mode', ctx.opset >= 16 ? 'half_pixel' : 'output_half_pixel') === 'half_pixel';
  const max = attrString(attrs, 'mode', 'avg') === 'max';
  const grids: { gh: number; gw: number }[] = [];
  const geometry = Array.from({ length: r }, (_, k) => {
    const batch = batchOf[k]!;
    if (batch < 0 || batch >= batches) throw new Error(`${ctx.node}: batch index ${batch} is outside X's ${batches} batches`);
    const offset = halfPixel ? 0.5 : 0;
    const [x1, y1, x2, y2] = [0, 1, 2, 3].map((i) => rois.data[k * 4 + i]! * scale - offset) as [number, number, number, number];
    // output_half_pixel (opset 10's behaviour) makes every roi at least 1 x 1.
    const [rh, rw] = halfPixel ? [y2 - y1, x2 - x1] : [Math.max(y2 - y1, 1), Math.max(x2 - x1, 1)];
    const grid = { gh: ratio > 0 ? ratio : Math.ceil(rh / ph), gw: ratio > 0 ? ratio : Math.ceil(rw / pw) };
    grids.push(grid);
    return { batch, y1, x1, bh: rh / ph, bw: rw / pw, ...grid };
  });
  // Each bin has gh·gw points of 4 taps; bins with fewer than the most are padded with
  // zero-weight taps (avg) or copies of their first tap (max), which change nothing.
  const taps = 4 * Math.max(1, ...grids.map((g) => g.gh * g.gw));
  const rows: number[] = [];
  const weights: number[] = [];
  for (const g of geometry) {
    const base = g.batch * height * width;
    const count = Math.max(g.gh * g.gw, 1);
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const start = rows.length;
        for (let iy = 0; iy < g.gh; iy++) {
          for (let ix = 0; ix < g.gw; ix++) {
            let y = g.y1 + i * g.bh + ((iy + 0.5) * g.bh) / g.gh;
            let xx = g.x1 + j * g.bw + ((ix + 0.5) * g.bw) / g.gw;
            if (y < -1 || y > height || xx < -1 || xx > width) {
              rows.push(base, base, base, base);
              weights.push(0, 0, 0, 0);
              continue;
            }
            y = Math.max(y, 0);
            xx = Math.max(xx, 0);
            // A point on or past the last row (column) reads that row alone.
            if (y >= height - 1) y = height - 1;
            if (xx >= width - 1) xx = width - 1;
            const [yl, xl] = [Math.floor(y), Math.floor(xx)];
            const [yh, xh] = [Math.min(yl + 1, height - 1), Math.min(xl + 1, width - 1)];
            const [ly, lx] = [y - yl, xx - xl];
            rows.push(base + yl * width + xl, base + yl * width + xh, base + yh * width + xl, base + yh * width + xh);
            const w = [(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx];
            weights.push(...(max ? w : w.map((v) => v / count)));
          }
        }
        const padding = taps - (rows.length - start);
        for (let p = 0; p < padding; p++) {
          rows.push(rows[start] ?? base);
          weights.push(max ? (weights[start] ?? 0) : 0);
        }
      }
    }
  }
  const y = gatherTaps(x, rows, weights, r * ph * pw, taps, max);
  return one(y.reshape([r, ph, pw, channels]).permute([0, 3, 1, 2]));
}

/** std::round: halves away from zero. */
const roundAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

/** MaxRoiPool as onnxruntime computes it: the max of each bin's pixels, 0 for an empty bin. */
function maxRoiPool(ctx: OpContext, [xV, roisV]: (Value | undefined)[], attrs: Attributes): Value[] {
  const x = tensorOf(ctx, xV, 'X');
  if (x.rank !== 4) throw new Error(`${ctx.node}: X must be [N, C, H, W], got [${x.shape}]`);
  const [batches, channels, height, width] = x.shape as [number, number, number, number];
  const rois = hostOf(ctx, roisV, 'rois');
  if (rois.shape.length !== 2 || rois.shape[1] !== 5) throw new Error(`${ctx.node}: rois must be [R, 5] (batch, x1, y1, x2, y2), got [${rois.shape}]`);
  const [ph, pw] = attrInts(attrs, 'pooled_shape')! as [number, number];
  const scale = attrNumber(attrs, 'spatial_scale', 1);
  const bins: number[][] = [];
  for (let k = 0; k < rois.shape[0]!; k++) {
    const [index, ...box] = Array.from({ length: 5 }, (_, i) => rois.data[k * 5 + i]!);
    const batch = Math.trunc(index!);
    if (!(batch >= 0 && batch < batches)) throw new Error(`${ctx.node}: batch index ${batch} is outside X's ${batches} batches`);
    const [x1, y1, x2, y2] = box.map((v) => roundAway(v * scale)) as [number, number, number, number];
    const [bh, bw] = [Math.max(y2 - y1 + 1, 1) / ph, Math.max(x2 - x1 + 1, 1) / pw];
    const clamp = (v: number, n: number) => Math.min(Math.max(v, 0), n);
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const [h0, h1] = [clamp(Math.floor(i * bh) + y1, height), clamp(Math.ceil((i + 1) * bh) + y1, height)];
        const [w0, w1] = [clamp(Math.floor(j * bw) + x1, width), clamp(Math.ceil((j + 1) * bw) + x1, width)];
        const pixels: number[] = [];
        for (let yy = h0; yy < h1; yy++) for (let xx = w0; xx < w1; xx++) pixels.push((batch * height + yy) * width + xx);
        bins.push(pixels);
      }
    }
  }
  // Bins padded to the largest with copies of their first pixel; an empty bin reads pixel 0 with weight 0.
  const taps = Math.max(1, ...bins.map((p) => p.length));
  const rows = bins.flatMap((p) => Array.from({ length: taps }, (_, t) => p[t] ?? p[0] ?? 0));
  const weights = bins.flatMap((p) => new Array<number>(taps).fill(p.length ? 1 : 0));
  const y = gatherTaps(x, rows, weights, bins.length, taps, true);
  return one(y.reshape([rois.shape[0]!, ph, pw, channels]).permute([0, 3, 1, 2]));
}

export const detectionOps: Record<string, OpSpec> = {
  NonMaxSuppression: { attributes: ['center_point_box'], check: (attrs) => only(attrs, 'center_point_box', [0, 1]), run: nonMaxSuppression },
  RoiAlign: {
    attributes: ['coordinate_transformation_mode', 'mode', 'output_height', 'output_width', 'sampling_ratio', 'spatial_scale'],
    check: (attrs, opset) => [
      ...only(attrs, 'coordinate_transformation_mode', ['half_pixel', 'output_half_pixel']),
      ...(opset < 16 && attrs.coordinate_transformation_mode !== undefined ? [`attribute 'coordinate_transformation_mode' is not part of RoiAlign at opset ${opset}`] : []),
      ...only(attrs, 'mode', ['avg', 'max']),
    ],
    run: roiAlign,
  },
  MaxRoiPool: {
    attributes: ['pooled_shape', 'spatial_scale'],
    check: (attrs) => (attrInts(attrs, 'pooled_shape')?.length === 2 ? [] : ['attribute pooled_shape must hold 2 values [height, width]']),
    run: maxRoiPool,
  },
};
