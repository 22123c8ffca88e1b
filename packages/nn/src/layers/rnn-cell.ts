/**
 * One recurrent step as a layer: `RNNCell`, `LSTMCell` and `GRUCell`, with PyTorch's
 * parameter names (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`), gate order and
 * initialisation U(-1/√hidden, 1/√hidden), for decoders written as explicit loops.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import * as init from '../init.js';
import { Module, type Parameter } from '../module.js';
import { checkOptions } from '../options.js';
import { emptyParameter, hiddenIn, recurrentDType, weightIn } from './util.js';

/** Options of the cells. */
export interface RNNCellOptions {
  /** Learn `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
}

const CELL_STATE: Record<string, string> = { weightIh: 'weight_ih', weightHh: 'weight_hh', biasIh: 'bias_ih', biasHh: 'bias_hh' };

/** What the cells share: parameters, initialisation and input checks. */
export abstract class RNNCellBase extends Module {
  weightIh: Parameter;
  weightHh: Parameter;
  biasIh: Parameter | null;
  biasHh: Parameter | null;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;

  constructor(inputSize: number, hiddenSize: number, gates: number, bias: boolean) {
    super();
    for (const [what, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${new.target.name}: ${what} must be a positive integer, got ${v}`);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = bias;
    this.weightIh = emptyParameter([gates * hiddenSize, inputSize]);
    this.weightHh = emptyParameter([gates * hiddenSize, hiddenSize]);
    this.biasIh = bias ? emptyParameter([gates * hiddenSize]) : null;
    this.biasHh = bias ? emptyParameter([gates * hiddenSize]) : null;
    this.resetParameters();
  }

  protected override stateName(field: string): string {
    return CELL_STATE[field] ?? field;
  }

  /** Every parameter from U(-1/√hiddenSize, 1/√hiddenSize), as PyTorch. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of [this.weightIh, this.weightHh, this.biasIh, this.biasHh]) if (p) init.uniform_(p, -bound, bound);
  }

  /** `input` `[N, in]` or `[in]` as `[N, in]`, and whether it was batched. */
  protected batch(input: Tensor): { x: Tensor; batched: boolean } {
    const name = this.constructor.name;
    if (input.rank !== 1 && input.rank !== 2) throw new Error(`${name}: expected input to be 1D or 2D, got ${input.rank}D instead`);
    if (input.shape[input.rank - 1] !== this.inputSize) {
      throw new Error(`${name}: input has inconsistent input_size: got ${input.shape[input.rank - 1]} expected ${this.inputSize}`);
    }
    const dtype = recurrentDType(name, input, this.weightIh);
    const x = input.dtype === dtype ? input : input.cast(dtype);
    return { x: input.rank === 2 ? x : x.unsqueeze(0), batched: input.rank === 2 };
  }

  /** A hidden state for a batch of `n` (zeros when absent), batched like the input. */
  protected hidden(h: Tensor | null | undefined, what: string, batched: boolean, x: Tensor): Tensor {
    const n = x.shape[0];
    const expected = batched ? [n, this.hiddenSize] : [this.hiddenSize];
    if (h == null) return tl.zeros([n, this.hiddenSize], { device: x.device, dtype: x.dtype });
    if (!tl.shapesEqual(h.shape, expected)) throw new Error(`${this.constructor.name}: ${what} ${tl.formatShape(h.shape)} must be ${tl.formatShape(expected)}`);
    const state = hiddenIn(this.constructor.name, what, h, x.dtype);
    return batched ? state : state.unsqueeze(0);
  }

  /** `x W_ihᵀ + b_ih` and `h W_hhᵀ + b_hh`. */
  protected projections(x: Tensor, h: Tensor): [Tensor, Tensor] {
    const [wIh, wHh, bIh, bHh] = [this.weightIh, this.weightHh, this.biasIh, this.biasHh].map((w) => weightIn(w, x.dtype));
    let gi = x.matmul(wIh!.t());
    if (bIh) gi = gi.add(bIh);
    let gh = h.matmul(wHh!.t());
    if (bHh) gh = gh.add(bHh);
    return [gi, gh];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=False'}`;
  }
}

/** Options of `RNNCell`. */
export interface ElmanCellOptions extends RNNCellOptions {
  /** `'tanh'` (default) or `'relu'`. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * One Elman RNN step: `h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` (or relu).
 *
 * @example
 * ```ts
 * const cell = new RNNCell(10, 20);
 * let h = tl.zeros([3, 20]);
 * for (const x of steps) h = cell.forward(x, h); // x: [3, 10]
 * ```
 */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: ElmanCellOptions = {}) {
    checkOptions('RNNCell', options, ['bias', 'nonlinearity']);
    const nonlinearity = options.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new Error(`RNNCell: unknown nonlinearity '${String(nonlinearity)}'; expected 'tanh' or 'relu'`);
    super(inputSize, hiddenSize, 1, options.bias ?? true);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const { x, batched } = this.batch(input);
    const h = this.hidden(hx, 'hx', batched, x);
    const [gi, gh] = this.projections(x, h);
    const pre = gi.add(gh);
    const out = this.nonlinearity === 'relu' ? pre.relu() : pre.tanh();
    return batched ? out : out.squeeze(0);
  }

  override extraRepr(): string {
    return `${super.extraRepr()}${this.nonlinearity === 'tanh' ? '' : `, nonlinearity=${this.nonlinearity}`}`;
  }
}

/**
 * One LSTM step (gate order input, forget, cell, output): `forward(x, [h, c]?)` returns
 * `[h', c']`.
 *
 * @example
 * ```ts
 * const cell = new LSTMCell(10, 20);
 * const [h, c] = cell.forward(tl.randn([3, 10]));
 * ```
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    checkOptions('LSTMCell', options, ['bias']);
    super(inputSize, hiddenSize, 4, options.bias ?? true);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const { x, batched } = this.batch(input);
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2)) throw new Error('LSTMCell: hx must be a pair [h, c]');
    const h = this.hidden(hx?.[0], 'h', batched, x);
    const c = this.hidden(hx?.[1], 'c', batched, x);
    const [gi, gh] = this.projections(x, h);
    const [i, f, g, o] = gi.add(gh).chunk(4, -1);
    const cNext = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
    const hNext = o.sigmoid().mul(cNext.tanh());
    return batched ? [hNext, cNext] : [hNext.squeeze(0), cNext.squeeze(0)];
  }
}

/**
 * One GRU step (gate order reset, update, new): `h' = (1 - z) ⊙ n + z ⊙ h`.
 *
 * @example
 * ```ts
 * const cell = new GRUCell(10, 20);
 * const h = cell.forward(tl.randn([3, 10]));
 * ```
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    checkOptions('GRUCell', options, ['bias']);
    super(inputSize, hiddenSize, 3, options.bias ?? true);
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const { x, batched } = this.batch(input);
    const h = this.hidden(hx, 'hx', batched, x);
    const [gi, gh] = this.projections(x, h);
    const [xr, xz, xn] = gi.chunk(3, -1);
    const [hr, hz, hn] = gh.chunk(3, -1);
    const r = xr.add(hr).sigmoid();
    const z = xz.add(hz).sigmoid();
    const n = xn.add(r.mul(hn)).tanh();
    const out = n.add(z.mul(h.sub(n)));
    return batched ? out : out.squeeze(0);
  }
}
