// Spectral operators (opset 17; DFT's axis input from opset 20): DFT and STFT as matmuls against cosine and sine matrices, so
// that gradients flow through them; MelWeightMatrix computed on the host.
import type { Tensor } from '@tensile/core';
import { Host, type Value } from '../value.js';
import { type OpContext, type OpSpec, attrNumber, axisOf, hostOf, intsOf, one, only, tensorOf, tl } from './context.js';

/** [n, bins] matrices of cos(2πjk/n) and sin(2πjk/n), j the sample and k the frequency. */
function dftMatrices(n: number, bins: number, device: string): { cos: Tensor; sin: Tensor } {
  const cos = new Float32Array(n * bins);
  const sin = new Float32Array(n * bins);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < bins; k++) {
      // jk reduced mod n first: the angle stays small, and so its rounding.
      const angle = (2 * Math.PI * ((j * k) % n)) / n;
      cos[j * bins + k] = Math.cos(angle);
      sin[j * bins + k] = Math.sin(angle);
    }
  }
  return { cos: tl.tensor(cos, { device }).reshape([n, bins]), sin: tl.tensor(sin, { device }).reshape([n, bins]) };
}

/**
 * The DFT along the last dim of `re` (and `im`, null for a real signal), `bins` frequencies of
 * `n`: e^{-2πijk/n}, or for the inverse e^{+2πijk/n} / n. Returns [..., bins, 2].
 */
function dft(re: Tensor, im: Tensor | null, bins: number, inverse: boolean): Tensor {
  const n = re.shape.at(-1)!;
  const { cos, sin } = dftMatrices(n, bins, re.device);
  const sign = inverse ? 1 : -1;
  let real = tl.matmul(re, cos);
  let imag = tl.matmul(re, sin).mul(sign);
  if (im) {
    real = real.sub(tl.matmul(im, sin).mul(sign));
    imag = imag.add(tl.matmul(im, cos));
  }
  const out = tl.stack([real, imag], -1);
  return inverse ? out.div(n) : out;
}

/**
 * n real samples from the one-sided spectrum `re` + i`im` (bins = floor(n / 2) + 1 along the last
 * dim): the bins past the first and below n/2 count twice (their conjugates stand for the rest),
 * and the imaginary parts of bin 0 and of bin n/2 drop out, as in numpy's irfft.
 */
function irfft(re: Tensor, im: Tensor, n: number): Tensor {
  const bins = re.shape.at(-1)!;
  const cos = new Float32Array(bins * n);
  const sin = new Float32Array(bins * n);
  for (let k = 0; k < bins; k++) {
    const weight = (k === 0 || 2 * k === n ? 1 : 2) / n;
    for (let j = 0; j < n; j++) {
      const angle = (2 * Math.PI * ((j * k) % n)) / n;
      cos[k * n + j] = weight * Math.cos(angle);
      sin[k * n + j] = weight * Math.sin(angle);
    }
  }
  const [c, s] = [cos, sin].map((m) => tl.tensor(m, { device: re.device }).reshape([bins, n]));
  return tl.matmul(re, c!).sub(tl.matmul(im, s!));
}

/** The last dim of a [..., 1] or [..., 2] signal as real and imaginary parts. */
function complexParts(ctx: OpContext, t: Tensor): { re: Tensor; im: Tensor | null } {
  const c = t.shape.at(-1);
  if (t.rank < 2 || (c !== 1 && c !== 2)) throw new Error(`${ctx.node}: input must end in a dim of 1 (real) or 2 (complex), got [${t.shape}]`);
  return { re: t.select(-1, 0), im: c === 2 ? t.select(-1, 1) : null };
}

/** `t` zero-padded or cut to `n` along its last dim. */
function toLength(t: Tensor, n: number): Tensor {
  const have = t.shape.at(-1)!;
  return n < have ? tl.slice(t, -1, 0, n) : n > have ? tl.pad(t, [0, n - have], 0) : t;
}

/** An optional scalar integer input (dft_length, frame_length). */
function scalarInput(ctx: OpContext, v: Value | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const values = intsOf(ctx, v, what);
  if (values.length !== 1) throw new Error(`${ctx.node}: ${what} must be a scalar, got ${values.length} values`);
  return values[0]!;
}

const onesidedCheck = (attrs: Record<string, unknown>) => only(attrs as never, 'onesided', [0, 1]);

export const spectralOps: Record<string, OpSpec> = {
  DFT: {
    attributes: ['axis', 'inverse', 'onesided'],
    check: (attrs, opset) => [
      // Opset 20 moved axis to an input (default -2); the attribute is opset 17 to 19's.
      ...(opset >= 20 && attrs.axis !== undefined ? [`attribute 'axis' is not part of DFT at opset ${opset} (axis is an input)`] : []),
      ...onesidedCheck(attrs),
      ...only(attrs, 'inverse', [0, 1]),
    ],
    run(ctx, [x, lengthV, axisV], attrs) {
      const t = tensorOf(ctx, x, 'input');
      // Opsets 17 to 19: the axis attribute (default 1); from 20 the optional axis input (default -2).
      const given = ctx.opset >= 20 ? (scalarInput(ctx, axisV, 'axis') ?? -2) : attrNumber(attrs, 'axis', 1);
      const axis = axisOf(ctx, given, t.rank);
      if (axis === t.rank - 1) throw new Error(`${ctx.node}: axis ${given} is the real/imaginary dim of input [${t.shape}]`);
      const { re, im } = complexParts(ctx, t);
      const onesided = attrNumber(attrs, 'onesided', 0) === 1;
      const inverse = attrNumber(attrs, 'inverse', 0) === 1;
      if (onesided && inverse) {
        // The inverse of a one-sided spectrum (numpy's irfft): a real signal, of 2 (bins - 1) samples by default.
        if (!im) throw new Error(`${ctx.node}: onesided=1 with inverse=1 needs a complex input ([..., 2]), got [${t.shape}]`);
        const n = scalarInput(ctx, lengthV, 'dft_length') ?? 2 * (t.shape[axis]! - 1);
        if (!(n >= 1)) throw new Error(`${ctx.node}: dft_length ${n} must be positive`);
        // Other lengths would pad or cut the spectrum, which onnxruntime (its full conjugate-symmetric
        // spectrum) and numpy's irfft (the one-sided bins) do differently.
        const bins = t.shape[axis]!;
        if (Math.floor(n / 2) + 1 !== bins) throw new Error(`${ctx.node}: dft_length ${n} for ${bins} one-sided bins is not supported (it must be ${2 * bins - 2} or ${2 * bins - 1})`);
        const last = (v: Tensor) => v.transpose(axis, -1);
        return one(irfft(last(re), last(im), n).unsqueeze(-1).transpose(axis, -2));
      }
      if (onesided && im) throw new Error(`${ctx.node}: onesided=1 needs a real input ([..., 1]), got [${t.shape}]`);
      const n = scalarInput(ctx, lengthV, 'dft_length') ?? t.shape[axis]!;
      if (!(n >= 1)) throw new Error(`${ctx.node}: dft_length ${n} must be positive`);
      const last = (v: Tensor) => toLength(v.transpose(axis, -1), n);
      const y = dft(last(re), im && last(im), onesided ? Math.floor(n / 2) + 1 : n, inverse);
      // [..., bins (at the end), 2] back to the signal's dim order.
      return one(y.transpose(axis, -2));
    },
  },
  STFT: {
    attributes: ['onesided'],
    check: onesidedCheck,
    run(ctx, [x, stepV, windowV, lengthV], attrs) {
      const t = tensorOf(ctx, x, 'signal');
      if (t.rank !== 3) throw new Error(`${ctx.node}: signal must be [batch, length, 1 or 2], got [${t.shape}]`);
      const { re, im } = complexParts(ctx, t);
      const onesided = attrNumber(attrs, 'onesided', 1) === 1;
      if (onesided && im) throw new Error(`${ctx.node}: onesided=1 needs a real signal ([batch, length, 1]), got [${t.shape}]`);
      const step = intsOf(ctx, stepV, 'frame_step')[0]!;
      const window = windowV === undefined ? null : tensorOf(ctx, windowV, 'window', t.device);
      if (window && window.rank !== 1) throw new Error(`${ctx.node}: window must be 1-D, got [${window.shape}]`);
      const n = scalarInput(ctx, lengthV, 'frame_length') ?? window?.shape[0];
      if (n === undefined) throw new Error(`${ctx.node}: needs a window or a frame_length`);
      if (window && window.shape[0] !== n) throw new Error(`${ctx.node}: window of ${window.shape[0]} samples for frames of ${n}`);
      const length = t.shape[1]!;
      if (!(step >= 1) || !(n >= 1) || n > length) throw new Error(`${ctx.node}: frame_step ${step} and frame_length ${n} do not fit a signal of ${length}`);
      const frames = Math.floor((length - n) / step) + 1;
      // Frame f holds samples f·step to f·step + n - 1: one gather, [batch, frames, n].
      const at = tl.tensor(Int32Array.from({ length: frames * n }, (_, i) => Math.floor(i / n) * step + (i % n)), { dtype: 'int32', device: t.device });
      const framed = (v: Tensor) => {
        const f = tl.indexSelect(v, 1, at).reshape([t.shape[0]!, frames, n]);
        return window ? f.mul(window) : f;
      };
      return one(dft(framed(re), im && framed(im), onesided ? Math.floor(n / 2) + 1 : n, false));
    },
  },
  MelWeightMatrix: {
    attributes: ['output_datatype'],
    check: (attrs) => only(attrs, 'output_datatype', [1]),
    run(ctx, [melV, lengthV, rateV, lowV, highV]) {
      const [bins, length, rate] = [melV, lengthV, rateV].map((v, i) => intsOf(ctx, v, ['num_mel_bins', 'dft_length', 'sample_rate'][i]!)[0]!) as [number, number, number];
      const [low, high] = [lowV, highV].map((v, i) => hostOf(ctx, v, ['lower_edge_hertz', 'upper_edge_hertz'][i]!).data[0]!) as [number, number];
      const spectrum = Math.floor(length / 2) + 1;
      const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
      const step = (mel(high) - mel(low)) / (bins + 2);
      // The spec's edges: bins + 2 points evenly spaced in mel, as DFT bin indices (floored).
      const edges = Array.from({ length: bins + 2 }, (_, i) => Math.floor(((length + 1) * (700 * (10 ** ((i * step + mel(low)) / 2595) - 1))) / rate));
      const out = new Float32Array(spectrum * bins);
      for (let m = 0; m < bins; m++) {
        const [lo, centre, hi] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
        const set = (j: number, v: number) => {
          if (j >= 0 && j < spectrum) out[j * bins + m] = v;
        };
        if (centre === lo) set(centre, 1);
        else for (let j = lo; j <= centre; j++) set(j, (j - lo) / (centre - lo));
        for (let j = centre; j < hi; j++) set(j, (hi - j) / (hi - centre));
      }
      return one(new Host('float32', [spectrum, bins], out));
    },
  },
};
