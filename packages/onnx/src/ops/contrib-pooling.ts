// com.microsoft's pooling and sampling operators that onnxruntime's CPU runs: NhwcMaxPool (the
// quantized NHWC max pool its layout transformer writes), MaxpoolWithMask, CropAndResize
// (TensorFlow's crop_and_resize) and ConvTransposeWithDynamicPads. The window and sample
// choices are made on the host; the values are gathered from the input with Tensile ops, so
// the float ones are differentiable with respect to their input.
import type { Tensor } from '@tensile/core';
import { type OpSpec, attrInts, attrNumber, attrString, hostOf, intsOf, one, only, tensorOf, tl } from './context.js';
import { networkOps } from './network.js';
import { quantizedType, required, saturate } from './quantize.js';

/** float32's lowest value: what onnxruntime's max pools give a window with nothing in it. */
const LOWEST = -3.4028234663852886e38;

/** NHWC [N, ...spatial, C] -> NCHW, or back when `back`. */
function channelsFirst(t: Tensor, back = false): Tensor {
  const dims = t.shape.map((_, i) => i);
  return back ? t.permute([0, ...dims.slice(2), 1]) : t.permute([0, t.rank - 1, ...dims.slice(1, -1)]);
}

const nhwcMaxPool: OpSpec = {
  attributes: networkOps.MaxPool!.attributes,
  check: (attrs, opset) => networkOps.MaxPool!.check?.(attrs, opset) ?? [],
  run(ctx, [x], attrs) {
    const source = required(ctx, x, 'x');
    // onnxruntime registers it for uint8 and int8 only.
    const type = quantizedType(ctx, source, 'x', null);
    const t = tensorOf(ctx, source, 'x').float();
    if (t.rank < 3) throw new Error(`${ctx.node}: x of shape [${t.shape}] must be [batch, ...spatial, channels]`);
    const [pooled] = networkOps.MaxPool!.run(ctx, [channelsFirst(t)], attrs) as [Tensor];
    // Saturating the pooled values (a no-op on them) tags them with x's quantized type.
    return one(saturate(channelsFirst(pooled, true), 0, type));
  },
};

/**
 * Max pool over the positions whose mask is not 0, as onnxruntime's CPU kernel computes it,
 * which the doc does not describe: in each window row (the innermost spatial dim) it stops at
 * the first masked position (the flat position 0 of a 2-D or 3-D mask is never checked), it
 * reads the mask of channel c at the element offset (c · spatial size) modulo the mask's batch
 * times channels, only the begin pads move the windows, and an empty window gives float32's
 * lowest value.
 */
const maxpoolWithMask: OpSpec = {
  attributes: ['auto_pad', 'kernel_shape', 'pads', 'storage_order', 'strides'],
  check(attrs) {
    const problems = [...only(attrs, 'auto_pad', ['NOTSET', 'VALID']), ...only(attrs, 'storage_order', [0])];
    const k = attrInts(attrs, 'kernel_shape');
    if (!k || k.length < 1 || k.length > 3) problems.push('attribute kernel_shape must name 1 to 3 spatial dims');
    return problems;
  },
  run(ctx, [x, m], attrs) {
    const X = tensorOf(ctx, x, 'X');
    const mask = hostOf(ctx, required(ctx, m, 'M'), 'M');
    const kernel = attrInts(attrs, 'kernel_shape')!;
    const d = kernel.length;
    if (X.rank !== d + 2) throw new Error(`${ctx.node}: X of shape [${X.shape}] must have ${d} spatial dims (kernel_shape [${kernel}])`);
    if (mask.shape.length !== X.rank || mask.shape.slice(2).some((n, i) => n !== X.shape[i + 2]) || mask.shape[0]! < 1 || mask.shape[1]! < 1) {
      throw new Error(`${ctx.node}: M of shape [${mask.shape}] must be [n, c, ${X.shape.slice(2)}]`);
    }
    const valid = attrString(attrs, 'auto_pad', 'NOTSET') === 'VALID';
    const pads = valid ? new Array(2 * d).fill(0) : (attrInts(attrs, 'pads') ?? new Array(2 * d).fill(0));
    const strides = attrInts(attrs, 'strides') ?? new Array(d).fill(1);
    if (pads.length !== 2 * d || strides.length !== d) throw new Error(`${ctx.node}: pads [${pads}] and strides [${strides}] must have ${2 * d} and ${d} values`);
    const spatial = X.shape.slice(2) as number[];
    const out = spatial.map((n, i) => Math.floor((n + pads[i]! + pads[i + d]! - kernel[i]!) / strides[i]!) + 1);
    if (out.some((n) => n < 1)) throw new Error(`${ctx.node}: kernel_shape [${kernel}] does not fit X [${X.shape}] with pads [${pads}]`);
    const data = hostOf(ctx, X, 'X').data;
    const channels = X.shape[0]! * X.shape[1]!;
    const size = spatial.reduce((a, b) => a * b, 1);
    const maskChannels = mask.shape[0]! * mask.shape[1]!;
    const [W, D] = [spatial[1] ?? 1, spatial[2] ?? 1];
    const [oh, ow, od] = [out[0]!, out[1] ?? 1, out[2] ?? 1];
    // The flat index of each output's maximum, or -1 for an empty window.
    const picks = new Int32Array(channels * oh * ow * od);
    const range = (o: number, i: number): [number, number] => {
      const start = o * strides[i]! - pads[i]!;
      return [Math.max(start, 0), Math.min(start + kernel[i]!, spatial[i]!)];
    };
    for (let c = 0; c < channels; c++) {
      const mo = (c * size) % maskChannels;
      for (let ph = 0; ph < oh; ph++) for (let pw = 0; pw < ow; pw++) for (let pd = 0; pd < od; pd++) {
        const windows = [range(ph, 0), range(pw, 1), range(pd, 2)].slice(0, d);
        // The mask stops the innermost (last spatial) dim's loop; the others run on.
        const [l0, l1] = windows[d - 1]!;
        const [a0, a1] = d > 1 ? windows[0]! : [0, 1];
        const [b0, b1] = d > 2 ? windows[1]! : [0, 1];
        let best = LOWEST;
        let at = -1;
        for (let a = a0; a < a1; a++) {
          for (let bb = b0; bb < b1; bb++) {
            for (let l = l0; l < l1; l++) {
              const i = d === 1 ? l : d === 2 ? a * W + l : (a * W + bb) * D + l;
              if ((d === 1 || i > 0) && mask.data[mo + i] === 0) break;
              if (data[c * size + i]! > best) [best, at] = [data[c * size + i]!, c * size + i];
            }
          }
        }
        picks[((c * oh + ph) * ow + pw) * od + pd] = at;
      }
    }
    const index = tl.tensor(Int32Array.from(picks, (i) => Math.max(i, 0)), { dtype: 'int32', device: X.device });
    const empty = tl.tensor(Float32Array.from(picks, (i) => (i < 0 ? 1 : 0)), { device: X.device });
    const gathered = tl.indexSelect(X.reshape([-1]), 0, index);
    return one(tl.where(empty.gt(0), tl.full([picks.length], LOWEST, { device: X.device }), gathered).reshape([...X.shape.slice(0, 2), ...out]));
  },
};

/**
 * TensorFlow's crop_and_resize: each roi (y1, x1, y2, x2, normalised) of image batch_indices[r]
 * sampled on a crop_height x crop_width grid, bilinear or nearest; samples outside the image
 * get extrapolation_value.
 */
const cropAndResize: OpSpec = {
  attributes: ['mode', 'extrapolation_value'],
  check: (attrs) => only(attrs, 'mode', ['bilinear', 'nearest']),
  run(ctx, [x, r, b, s], attrs) {
    const X = tensorOf(ctx, x, 'X');
    if (X.rank !== 4) throw new Error(`${ctx.node}: X of shape [${X.shape}] must be [batch, channels, height, width]`);
    const [N, C, H, W] = X.shape as [number, number, number, number];
    const rois = hostOf(ctx, required(ctx, r, 'rois'), 'rois');
    const batch = intsOf(ctx, required(ctx, b, 'batch_indices'), 'batch_indices');
    const crop = intsOf(ctx, required(ctx, s, 'crop_size'), 'crop_size');
    const R = batch.length;
    if (rois.shape.length !== 2 || rois.shape[0] !== R || rois.shape[1] !== 4) throw new Error(`${ctx.node}: rois of shape [${rois.shape}] must be [${R}, 4] (one per batch index)`);
    if (crop.length !== 2 || crop.some((n) => !(n > 0))) throw new Error(`${ctx.node}: crop_size [${crop}] must be two positive sizes`);
    const bad = batch.find((i) => i < 0 || i >= N);
    if (bad !== undefined) throw new Error(`${ctx.node}: batch index ${bad} is out of range for a batch of ${N}`);
    const [ch, cw] = crop as [number, number];
    const nearest = attrString(attrs, 'mode', 'bilinear') === 'nearest';
    const taps = nearest ? 1 : 4;
    // Per output sample: `taps` flat pixel indices (batch, y, x) and weights; outside ones weigh 0.
    const index = new Int32Array(R * ch * cw * taps);
    const weight = new Float32Array(R * ch * cw * taps);
    const outside = new Float32Array(R * ch * cw);
    // In float32 as onnxruntime computes it (the single sample's centre in double), which decides
    // nearest's rounding at halves and what falls outside.
    const f = Math.fround;
    const at = (size: number, lo: number, hi: number, i: number, n: number) => (n > 1 ? f(f(lo * (size - 1)) + f(i * f(f(f(hi - lo) * (size - 1)) / (n - 1)))) : f(0.5 * (lo + hi) * (size - 1)));
    for (let k = 0; k < R; k++) {
      const [y1, x1, y2, x2] = Array.from({ length: 4 }, (_, j) => rois.data[k * 4 + j]!);
      const base = batch[k]! * H * W;
      for (let i = 0; i < ch; i++) {
        const y = at(H, y1!, y2!, i, ch);
        for (let j = 0; j < cw; j++) {
          const xx = at(W, x1!, x2!, j, cw);
          const o = (k * ch + i) * cw + j;
          if (y < 0 || y > H - 1 || xx < 0 || xx > W - 1) {
            outside[o] = 1;
            continue;
          }
          if (nearest) {
            // roundf: halves away from zero (the coordinates are not negative here).
            index[o] = base + Math.round(y) * W + Math.round(xx);
            weight[o] = 1;
            continue;
          }
          const [top, left] = [Math.floor(y), Math.floor(xx)];
          const [bottom, right] = [Math.ceil(y), Math.ceil(xx)];
          const [dy, dx] = [y - top, xx - left];
          const corners = [[top, left, (1 - dy) * (1 - dx)], [top, right, (1 - dy) * dx], [bottom, left, dy * (1 - dx)], [bottom, right, dy * dx]] as const;
          corners.forEach(([py, px, w], t) => {
            index[o * 4 + t] = base + py * W + px;
            weight[o * 4 + t] = w;
          });
        }
      }
    }
    const device = X.device;
    const pixels = X.permute([0, 2, 3, 1]).reshape([N * H * W, C]);
    const samples = tl.indexSelect(pixels, 0, tl.tensor(index, { dtype: 'int32', device })).mul(tl.tensor(weight, { device }).reshape([-1, 1]));
    let y = samples.reshape([R * ch * cw, taps, C]).sum(1);
    const extrapolation = attrNumber(attrs, 'extrapolation_value', 0);
    if (extrapolation !== 0) y = y.add(tl.tensor(outside, { device }).reshape([-1, 1]).mul(extrapolation));
    return one(y.reshape([R, ch, cw, C]).permute([0, 3, 1, 2]));
  },
};

/** ConvTranspose with its pads from an input (begins then ends, int64). */
const convTransposeWithDynamicPads: OpSpec = {
  // Its schema has no pads attribute: the pads come from the input.
  attributes: networkOps.ConvTranspose!.attributes.filter((a) => a !== 'pads'),
  check: (attrs, opset) => networkOps.ConvTranspose!.check?.(attrs, opset) ?? [],
  run(ctx, [x, w, p, b], attrs) {
    // The doc makes Pads optional, but onnxruntime 1.30's CPU kernel crashes without it.
    if (p === undefined || p.size === 0) throw new Error(`${ctx.node}: input Pads is missing (onnxruntime's CPU kernel needs it too)`);
    return networkOps.ConvTranspose!.run(ctx, [x, w, b], { ...attrs, pads: intsOf(ctx, p, 'Pads') });
  },
};

export const contribPoolingOps: Record<string, OpSpec> = {
  NhwcMaxPool: nhwcMaxPool,
  MaxpoolWithMask: maxpoolWithMask,
  CropAndResize: cropAndResize,
  ConvTransposeWithDynamicPads: convTransposeWithDynamicPads,
};
