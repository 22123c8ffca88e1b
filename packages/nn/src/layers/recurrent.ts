/**
 * Recurrent layers: `RNN` (tanh or relu), `LSTM` and `GRU`, with PyTorch's parameter names
 * (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `..._reverse`, and LSTM's
 * `weight_hr_l0` when it has a projection), gate order
 * (LSTM i, f, g, o; GRU r, z, n), default initialisation U(-1/√hidden, 1/√hidden), and
 * calling conventions, so state dicts move between the two unchanged.
 *
 * The recurrence is an ordinary loop over time steps written with core ops, so gradients
 * flow through it on every backend. The input projection of a whole layer is one matmul.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { dropout as dropoutFn } from '../functional.js';
import * as init from '../init.js';
import { Module, Parameter } from '../module.js';
import { checkOptions } from '../options.js';
import { emptyParameter, hiddenIn, pyFloat, recurrentDType, weightIn } from './util.js';

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** Options shared by `RNN`, `LSTM` and `GRU` (PyTorch's keyword arguments, camelCased). */
export interface RNNBaseOptions {
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Use `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** Input and output are `[batch, seq, feature]` instead of `[seq, batch, feature]` (default false). Hidden states are unaffected. */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of each layer but the last, while training (default 0). */
  dropout?: number;
  /** Run a second pass from the end of the sequence and concatenate (default false). */
  bidirectional?: boolean;
}

/** Options of `RNN`. */
export interface RNNOptions extends RNNBaseOptions {
  /** `'tanh'` (default) or `'relu'`. */
  nonlinearity?: 'tanh' | 'relu';
}

/** Options of `LSTM`. */
export interface LSTMOptions extends RNNBaseOptions {
  /**
   * Size of the projected hidden state (PyTorch's `proj_size`; default 0, no projection).
   * When positive it must be smaller than `hiddenSize`: each layer gets `weight_hr_l{k}`
   * `[projSize, hiddenSize]`, `h_t = W_hr (o_t ⊙ tanh(c_t))`, and the output and `h` have
   * `projSize` features while `c` keeps `hiddenSize`.
   */
  projSize?: number;
}

const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/**
 * What `RNN`, `LSTM` and `GRU` share: parameters, shape checks, the layer/direction loop.
 * Subclasses supply one time step (`cell`).
 */
export abstract class RNNBase extends Module {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** LSTM's projection size (PyTorch's `proj_size`); 0 means none, and always 0 for `RNN` and `GRU`. */
  readonly projSize: number;

  // Layer 0's parameters, for typed access; deeper layers are `weight_ih_l1`, etc.
  declare readonly weight_ih_l0: Parameter;
  declare readonly weight_hh_l0: Parameter;
  declare readonly bias_ih_l0: Parameter | undefined;
  declare readonly bias_hh_l0: Parameter | undefined;

  protected constructor(mode: Mode, inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super();
    const name = mode.startsWith('RNN') ? 'RNN' : mode;
    // projSize is refused below with its own message for RNN and GRU.
    const extra = mode.startsWith('RNN') ? ['projSize', 'nonlinearity'] : ['projSize'];
    checkOptions(name, options, ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', ...extra]);
    for (const [what, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', options.numLayers ?? 1]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`);
    }
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout <= 1)) throw new Error(`${name}: dropout should be a number in [0, 1], got ${dropout}`);
    const projSize = options.projSize ?? 0;
    if (!Number.isInteger(projSize) || projSize < 0) {
      throw new Error(`${name}: projSize should be a positive integer or zero to disable projections, got ${projSize}`);
    }
    if (projSize > 0 && mode !== 'LSTM') throw new Error(`${name}: projSize is only supported for LSTM, not RNN or GRU`);
    if (projSize >= hiddenSize) throw new Error(`${name}: projSize has to be smaller than hiddenSize, got projSize ${projSize} and hiddenSize ${hiddenSize}`);
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = dropout;
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = projSize;

    const realHidden = this.outputHiddenSize;
    const gateSize = GATES[mode] * hiddenSize;
    const self = this as unknown as Record<string, Parameter>;
    const param = (shape: number[]) => emptyParameter(shape);
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < this.numDirections; dir++) {
        const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? inputSize : realHidden * this.numDirections;
        self[`weight_ih${suffix}`] = param([gateSize, layerInput]);
        self[`weight_hh${suffix}`] = param([gateSize, realHidden]);
        if (this.bias) {
          self[`bias_ih${suffix}`] = param([gateSize]);
          self[`bias_hh${suffix}`] = param([gateSize]);
        }
        // After the biases, as in PyTorch's state dict.
        if (projSize > 0) self[`weight_hr${suffix}`] = param([projSize, hiddenSize]);
      }
    }
    this.resetParameters();
  }

  /** Re-draw every parameter from U(-1/√hiddenSize, 1/√hiddenSize), as PyTorch. */
  resetParameters(): void {
    const k = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) init.uniform_(p, -k, k);
  }

  /** Features of `h` and of each direction's output: `projSize` when set, else `hiddenSize`. */
  get outputHiddenSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** A parameter by its PyTorch name, e.g. `weight_hh_l1_reverse`. */
  override getParameter(name: string): Parameter {
    const p = (this as unknown as Record<string, unknown>)[name];
    if (!(p instanceof Parameter)) throw new Error(`${this.constructor.name}: no parameter named '${name}'`);
    return p;
  }

  /** The parameters of one layer and direction: [w_ih, w_hh, b_ih, b_hh, w_hr]. */
  protected weights(layer: number, dir: number): [Tensor, Tensor, Tensor | null, Tensor | null, Tensor | null] {
    const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
    const self = this as unknown as Record<string, Parameter | undefined>;
    return [
      self[`weight_ih${suffix}`]!,
      self[`weight_hh${suffix}`]!,
      self[`bias_ih${suffix}`] ?? null,
      self[`bias_hh${suffix}`] ?? null,
      self[`weight_hr${suffix}`] ?? null,
    ];
  }

  protected get layerName(): string {
    return this.constructor.name;
  }

  /** Check `input` and put it in `[seq, batch, feature]` layout; returns whether it was unbatched. */
  protected prepareInput(input: Tensor): { x: Tensor; batched: boolean } {
    const name = this.layerName;
    if (input.rank !== 2 && input.rank !== 3) {
      throw new Error(`${name}: expected a 2-D (unbatched) or 3-D (batched) input, got shape ${tl.formatShape(input.shape)}`);
    }
    if (input.shape[input.rank - 1] !== this.inputSize) {
      throw new Error(`${name}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${input.shape[input.rank - 1]} (input ${tl.formatShape(input.shape)})`);
    }
    const dtype = recurrentDType(name, input, this.weights(0, 0)[0]);
    const batched = input.rank === 3;
    const cast = input.dtype === dtype ? input : input.cast(dtype);
    let x = batched ? cast : cast.unsqueeze(1);
    if (batched && this.batchFirst) x = x.transpose(0, 1);
    return { x, batched };
  }

  /**
   * Check a hidden state (`[layers*dirs, batch, size]`, or unbatched without batch) and make
   * it batched; `size` defaults to `hiddenSize`.
   */
  protected prepareHidden(h: Tensor | undefined | null, what: string, batched: boolean, batch: number, x: Tensor, size = this.hiddenSize): Tensor {
    const expected = batched ? [this.numLayers * this.numDirections, batch, size] : [this.numLayers * this.numDirections, size];
    if (h == null) return tl.zeros([expected[0], batch, size], { device: x.device, dtype: x.dtype });
    if (!tl.shapesEqual(h.shape, expected)) {
      throw new Error(`${this.layerName}: expected ${what} size ${tl.formatShape(expected)}, got ${tl.formatShape(h.shape)}`);
    }
    const state = hiddenIn(this.layerName, what, h, x.dtype);
    return batched ? state : state.unsqueeze(1);
  }

  /**
   * Run every layer and direction. `initial[i]` are the per-(layer, direction) states; `step`
   * maps (input projection at t, states, w_hh, b_hh, w_hr) to the new states, the first of
   * which is the output.
   */
  protected run(
    x: Tensor,
    initial: Tensor[],
    step: (xProj: Tensor, states: Tensor[], wHh: Tensor, bHh: Tensor | null, wHr: Tensor | null) => Tensor[],
  ): { output: Tensor; finals: Tensor[][] } {
    const seqLen = x.shape[0];
    const dirs = this.numDirections;
    const finals: Tensor[][] = initial.map(() => []);
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outputs: Tensor[] = [];
      for (let dir = 0; dir < dirs; dir++) {
        const [wIh, wHh, bIh, bHh, wHr] = this.weights(layer, dir).map((w) => weightIn(w, x.dtype)) as [Tensor, Tensor, Tensor | null, Tensor | null, Tensor | null];
        const index = layer * dirs + dir;
        // The input projection of every step at once: [seq, batch, gates*hidden].
        let proj = layerInput.matmul(wIh.t());
        if (bIh) proj = proj.add(bIh);
        let states = initial.map((s) => s.select(0, index));
        const steps: Tensor[] = new Array(seqLen);
        for (let i = 0; i < seqLen; i++) {
          const t = dir === 0 ? i : seqLen - 1 - i;
          states = step(proj.select(0, t), states, wHh, bHh, wHr);
          steps[t] = states[0];
        }
        outputs.push(seqLen > 0 ? tl.stack(steps, 0) : tl.zeros([0, x.shape[1], this.outputHiddenSize], { device: x.device, dtype: x.dtype }));
        states.forEach((s, k) => finals[k].push(s));
      }
      layerInput = dirs === 1 ? outputs[0] : tl.cat(outputs, 2);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) layerInput = dropoutFn(layerInput, this.dropout, true);
    }
    return { output: layerInput, finals };
  }

  /** Undo `prepareInput`'s layout change on the output and the states. */
  protected finish(output: Tensor, states: Tensor[][], batched: boolean): [Tensor, Tensor[]] {
    let out = output;
    if (!batched) out = out.squeeze(1);
    else if (this.batchFirst) out = out.transpose(0, 1);
    const finals = states.map((list) => {
      const h = tl.stack(list, 0);
      return batched ? h : h.squeeze(1);
    });
    return [out, finals];
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.projSize) parts.push(`proj_size=${this.projSize}`);
    if (this.numLayers !== 1) parts.push(`num_layers=${this.numLayers}`);
    if (!this.bias) parts.push('bias=False');
    if (this.batchFirst) parts.push('batch_first=True');
    if (this.dropout) parts.push(`dropout=${pyFloat(this.dropout)}`);
    if (this.bidirectional) parts.push('bidirectional=True');
    return parts.join(', ');
  }
}

function hiddenProjection(h: Tensor, wHh: Tensor, bHh: Tensor | null): Tensor {
  const g = h.matmul(wHh.t());
  return bHh ? g.add(bHh) : g;
}

/**
 * An Elman RNN: `h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)` (or relu), stacked
 * `numLayers` deep.
 *
 * `forward(input, h0?)` takes `input` `[seq, batch, inputSize]` (`[batch, seq, inputSize]`
 * with `batchFirst`, or `[seq, inputSize]` unbatched) and `h0` `[numLayers*dirs, batch,
 * hiddenSize]` (zeros by default); it returns `[output, hN]`, `output` holding the last
 * layer's `h_t` for every `t` (`dirs*hiddenSize` features).
 *
 * @example
 * ```ts
 * const rnn = new RNN(10, 20, { numLayers: 2 });
 * const [output, hN] = rnn.forward(tl.randn([5, 3, 10])); // [5, 3, 20], [2, 3, 20]
 * ```
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw new Error(`RNN: unknown nonlinearity '${String(nonlinearity)}'; expected 'tanh' or 'relu'`);
    }
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h = this.prepareHidden(h0, 'hidden', batched, x.shape[1], x);
    const relu = this.nonlinearity === 'relu';
    const { output, finals } = this.run(x, [h], (xp, [hPrev], wHh, bHh) => {
      const pre = xp.add(hiddenProjection(hPrev, wHh, bHh));
      return [relu ? pre.relu() : pre.tanh()];
    });
    const [out, [hN]] = this.finish(output, finals, batched);
    return [out, hN];
  }
}

/**
 * Long short-term memory, PyTorch's formulation and gate order (input, forget, cell, output):
 *
 *     i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
 *     g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
 *     c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
 *
 * With `projSize` (PyTorch's `proj_size`) > 0, `h' = W_hr (o ⊙ tanh(c'))`: `h0`, `hN` and
 * each direction's output have `projSize` features, `c0` and `cN` keep `hiddenSize`, and
 * `weight_hh_l{k}` is `[4*hiddenSize, projSize]`.
 *
 * `forward(input, [h0, c0]?)` returns `[output, [hN, cN]]`.
 *
 * @example
 * ```ts
 * const lstm = new LSTM(10, 20, { batchFirst: true });
 * const [output, [hN, cN]] = lstm.forward(tl.randn([3, 5, 10])); // [3, 5, 20], [1, 3, 20] x2
 * ```
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { x, batched } = this.prepareInput(input);
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2)) throw new Error('LSTM: hx must be a pair [h0, c0]');
    const h = this.prepareHidden(hx?.[0], 'hidden[0]', batched, x.shape[1], x, this.outputHiddenSize);
    const c = this.prepareHidden(hx?.[1], 'hidden[1]', batched, x.shape[1], x);
    const { output, finals } = this.run(x, [h, c], (xp, [hPrev, cPrev], wHh, bHh, wHr) => {
      const [i, f, g, o] = xp.add(hiddenProjection(hPrev, wHh, bHh)).chunk(4, -1);
      const cNext = f.sigmoid().mul(cPrev).add(i.sigmoid().mul(g.tanh()));
      const hNext = o.sigmoid().mul(cNext.tanh());
      return [wHr ? hNext.matmul(wHr.t()) : hNext, cNext];
    });
    const [out, [hN, cN]] = this.finish(output, finals, batched);
    return [out, [hN, cN]];
  }
}

/**
 * Gated recurrent unit, PyTorch's formulation and gate order (reset, update, new):
 *
 *     r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *     h' = (1 - z) ⊙ n + z ⊙ h
 *
 * `forward(input, h0?)` returns `[output, hN]`.
 *
 * @example
 * ```ts
 * const gru = new GRU(10, 20, { numLayers: 2, bidirectional: true });
 * const [output, hN] = gru.forward(tl.randn([5, 3, 10])); // [5, 3, 40], [4, 3, 20]
 * ```
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h = this.prepareHidden(h0, 'hidden', batched, x.shape[1], x);
    const { output, finals } = this.run(x, [h], (xp, [hPrev], wHh, bHh) => {
      const [xr, xz, xn] = xp.chunk(3, -1);
      const [hr, hz, hn] = hiddenProjection(hPrev, wHh, bHh).chunk(3, -1);
      const r = xr.add(hr).sigmoid();
      const z = xz.add(hz).sigmoid();
      const n = xn.add(r.mul(hn)).tanh();
      // (1 - z) n + z h  =  n + z (h - n)
      return [n.add(z.mul(hPrev.sub(n)))];
    });
    const [out, [hN]] = this.finish(output, finals, batched);
    return [out, hN];
  }
}
