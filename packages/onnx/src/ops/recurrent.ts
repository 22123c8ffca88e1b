// ONNX's recurrent operators (LSTM, GRU, RNN: what torch.onnx.export writes for nn.LSTM, nn.GRU
// and nn.RNN), one time step at a time on Tensile's ops, so they train like the rest of the graph.
// ONNX's gate orders differ from PyTorch's: LSTM is i, o, f, c and GRU is z, r, h.
import type { Tensor } from '@tensile/core';
import { type Attributes, type OpContext, type OpSpec, attrNumber, attrString, only, tensorOf, tl } from './context.js';
import type { Value } from '../value.js';

type Kind = 'LSTM' | 'GRU' | 'RNN';

const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
/** The activations each kind computes (per direction); other activation lists are refused. */
const ACTIVATIONS: Record<Kind, readonly (readonly string[])[]> = {
  LSTM: [['Sigmoid', 'Tanh', 'Tanh']],
  GRU: [['Sigmoid', 'Tanh']],
  RNN: [['Tanh'], ['Relu']],
};

function check(kind: Kind): (attrs: Attributes) => string[] {
  return (attrs) => {
    const problems = [...only(attrs, 'direction', ['forward', 'reverse', 'bidirectional']), ...only(attrs, 'layout', [0])];
    if (kind === 'LSTM') problems.push(...only(attrs, 'input_forget', [0]));
    for (const name of ['clip', 'activation_alpha', 'activation_beta']) {
      if (attrs[name] !== undefined) problems.push(`attribute ${name} is not supported`);
    }
    const given = attrs.activations as string[] | undefined;
    if (given !== undefined) {
      const directions = attrString(attrs, 'direction', 'forward') === 'bidirectional' ? 2 : 1;
      const perDirection = given.length / directions;
      const lists = Array.from({ length: directions }, (_, d) => given.slice(d * perDirection, (d + 1) * perDirection).join(','));
      if (!lists.every((l) => ACTIVATIONS[kind].some((a) => a.join(',') === l))) {
        problems.push(`attribute activations [${given}] is not supported (supported: ${ACTIVATIONS[kind].map((a) => `[${a}]`).join(' or ')} per direction)`);
      }
    }
    return problems;
  };
}

/** `t` [dirs, ...] split into its directions' [...]. */
const perDirection = (t: Tensor | null, dirs: number): (Tensor | null)[] => Array.from({ length: dirs }, (_, d) => (t ? t.select(0, d) : null));

/** One direction's weights (W, R, B, P without the direction dim) and initial state. */
interface Direction {
  w: Tensor;
  r: Tensor;
  b: Tensor | null;
  p: Tensor | null;
  h0: Tensor;
  c0: Tensor | null;
  reverse: boolean;
}

/** What every direction of a node shares. */
interface Settings {
  kind: Kind;
  /** RNN's activation is Relu (else Tanh). */
  relu: boolean;
  linearBeforeReset: boolean;
  /** Whether step t is inside each batch entry's sequence ([batch, 1] bool), when sequence_lens is given. */
  valid: ((t: number) => Tensor) | null;
}

/** One direction over the whole sequence: the hidden states in time order, and the last h (and c). */
function runDirection({ kind, relu, linearBeforeReset, valid }: Settings, x: Tensor, { w, r, b, p, h0, c0, reverse }: Direction): { hs: Tensor[]; h: Tensor; c: Tensor | null } {
  const hidden = r.shape[1]!;
  const gates = GATES[kind];
  // The input's part of every gate for every step at once: [seq, batch, gates * hidden].
  let xw = x.matmul(w.t());
  if (b) xw = xw.add(b.narrow(0, 0, gates * hidden));
  const rb = b ? b.narrow(0, gates * hidden, gates * hidden) : null;
  const gate = (t: Tensor, index: number) => t.narrow(-1, index * hidden, hidden);
  // LSTM's peephole for gate `index` (i 0, o 1, f 2) times the cell state.
  const peephole = (pre: Tensor, index: number, cell: Tensor) => (p ? pre.add(p.narrow(0, index * hidden, hidden).mul(cell)) : pre);
  const steps = x.shape[0]!;
  const hs: Tensor[] = new Array<Tensor>(steps);
  let [h, c] = [h0, c0];
  for (let k = 0; k < steps; k++) {
    const t = reverse ? steps - 1 - k : k;
    const xt = xw.select(0, t);
    const [hBefore, cBefore] = [h, c];
    if (kind === 'GRU') {
      const recurrent = rb ? h.matmul(r.t()).add(rb) : h.matmul(r.t());
      const z = gate(xt, 0).add(gate(recurrent, 0)).sigmoid();
      const reset = gate(xt, 1).add(gate(recurrent, 1)).sigmoid();
      // linear_before_reset: the reset gate scales R's product (PyTorch's form), else the state before it.
      const candidate = linearBeforeReset
        ? gate(xt, 2).add(reset.mul(gate(recurrent, 2)))
        : gate(xt, 2).add(reset.mul(h).matmul(gate(r.t(), 2))).add(rb ? gate(rb, 2) : 0);
      h = tl.lerp(candidate.tanh(), h, z);
    } else {
      let g = xt.add(h.matmul(r.t()));
      if (rb) g = g.add(rb);
      if (kind === 'RNN') h = relu ? g.relu() : g.tanh();
      else {
        const i = peephole(gate(g, 0), 0, c!).sigmoid();
        const f = peephole(gate(g, 2), 2, c!).sigmoid();
        c = f.mul(c!).add(i.mul(gate(g, 3).tanh()));
        const o = peephole(gate(g, 1), 1, c).sigmoid();
        h = o.mul(c.tanh());
      }
    }
    const inside = valid?.(t);
    if (inside) {
      hs[t] = tl.where(inside, h, 0);
      h = tl.where(inside, h, hBefore);
      if (c) c = tl.where(inside, c, cBefore!);
    } else hs[t] = h;
  }
  return { hs, h, c };
}

function recurrent(kind: Kind): OpSpec {
  const attributes = ['activations', 'activation_alpha', 'activation_beta', 'clip', 'direction', 'hidden_size', 'layout', ...(kind === 'LSTM' ? ['input_forget'] : kind === 'GRU' ? ['linear_before_reset'] : [])];
  return {
    attributes,
    outputs: kind === 'LSTM' ? 3 : 2,
    check: check(kind),
    run(ctx: OpContext, inputs: (Value | undefined)[], attrs: Attributes): Value[] {
      const [xIn, wIn, rIn, bIn, lensIn, h0In, c0In, pIn] = inputs;
      // layout 1 (batch first) is refused at load time: onnxruntime has no form of it to match.
      const x = tensorOf(ctx, xIn, 'X');
      const device = x.device;
      const w = tensorOf(ctx, wIn, 'W', device);
      const r = tensorOf(ctx, rIn, 'R', device);
      const direction = attrString(attrs, 'direction', 'forward');
      const dirs = direction === 'bidirectional' ? 2 : 1;
      const hidden = r.shape[2]!;
      const batch = x.shape[1]!;
      if (attrs.hidden_size !== undefined && attrNumber(attrs, 'hidden_size', hidden) !== hidden) {
        throw new Error(`${ctx.node}: hidden_size ${attrNumber(attrs, 'hidden_size', hidden)} disagrees with R of shape [${r.shape}]`);
      }
      if (w.shape[0] !== dirs || w.shape[1] !== GATES[kind] * hidden || w.shape[2] !== x.shape[2]) {
        throw new Error(`${ctx.node}: W must be [${dirs}, ${GATES[kind] * hidden}, ${x.shape[2]}], got [${w.shape}]`);
      }
      // Per batch entry, whether step t is inside its sequence: a padded batch's later steps
      // keep the state and output zeros (reverse runs start at each sequence's own end).
      const lens = lensIn === undefined ? null : tensorOf(ctx, lensIn, 'sequence_lens', device);
      if (lens && (lens.rank !== 1 || lens.shape[0] !== batch)) throw new Error(`${ctx.node}: sequence_lens must be [${batch}], got [${lens.shape}]`);
      const valid = lens ? (t: number) => lens.gt(t).reshape([batch, 1]) : null;
      const state = (v: Value | undefined, what: string) => (v === undefined ? tl.zeros([dirs, batch, hidden], { device }) : tensorOf(ctx, v, what, device));
      const h0 = state(h0In, 'initial_h');
      const c0 = kind === 'LSTM' ? state(c0In, 'initial_c') : null;
      const b = bIn === undefined ? null : tensorOf(ctx, bIn, 'B', device);
      const p = kind === 'LSTM' && pIn !== undefined ? tensorOf(ctx, pIn, 'P', device) : null;
      const activations = (attrs.activations as string[] | undefined) ?? [];
      const [ws, rs, bs, hs0, cs0, ps] = [w, r, b, h0, c0, p].map((t) => perDirection(t, dirs));
      const linearBeforeReset = attrNumber(attrs, 'linear_before_reset', 0) !== 0;
      const runs = Array.from({ length: dirs }, (_, d) => runDirection(
        // The activations list has one entry per direction for RNN (Tanh or Relu).
        { kind, relu: activations[d] === 'Relu', linearBeforeReset, valid },
        x,
        { w: ws[d]!, r: rs[d]!, b: bs[d] ?? null, p: ps[d] ?? null, h0: hs0[d]!, c0: cs0[d] ?? null, reverse: direction === 'reverse' || d === 1 },
      ));
      // Y [seq, dirs, batch, hidden]; Y_h and Y_c [dirs, batch, hidden].
      const y = tl.stack(runs.map((run) => tl.stack(run.hs, 0)), 1);
      const yh = tl.stack(runs.map((run) => run.h), 0);
      return kind === 'LSTM' ? [y, yh, tl.stack(runs.map((run) => run.c!), 0)] : [y, yh];
    },
  };
}

export const recurrentOps: Record<string, OpSpec> = { LSTM: recurrent('LSTM'), GRU: recurrent('GRU'), RNN: recurrent('RNN') };
