// Control flow: If runs one of two branches, Loop and Scan run a body graph once per
// iteration. Branches and bodies run on Tensile ops like the main graph, so autograd goes
// through every iteration that ran. The conditions and trip counts are read on the host.
import { Host, hostSlice, isHost, type Item, type Value, withShape } from '../value.js';
import { type Attributes, type OpContext, type ItemOpSpec, type Subgraph, attrInts, attrNumber, axisOf, graphAttr, hostOf, isSubgraph, shapeOf, stackValues, tl, valueOf } from './context.js';

/** Problems with the graph attributes a node must have. */
function requireGraphs(attrs: Attributes, names: string[]): string[] {
  return names.filter((n) => !isSubgraph(attrs[n])).map((n) => `attribute ${n} (a graph) is required`);
}

/** A one-element condition or count, read on the host. */
function scalarOf(ctx: OpContext, v: Item, what: string): number {
  const h = hostOf(ctx, valueOf(ctx, v, what), what);
  if (h.size !== 1) throw new Error(`${ctx.node}: ${what} must hold one value, got shape [${h.shape}]`);
  return h.data[0]!;
}

/** Stack one value per iteration along a new `axis`. */
function stackIterations(ctx: OpContext, items: Item[], axis: number, what: string): Value {
  if (items.length === 0) throw new Error(`${ctx.node}: no iteration ran, so ${what} has no element shape to stack (an empty scan output is not supported)`);
  return stackValues(ctx, items.map((v) => valueOf(ctx, v, what)), axis, what);
}

/** The slices of `v` along `axis`, that axis removed (host values stay on the host). */
function slicesOf(v: Value, axis: number): Value[] {
  if (!isHost(v)) return tl.unbind(v, axis);
  const shape = v.shape.filter((_, i) => i !== axis);
  return Array.from({ length: v.shape[axis]! }, (_, i) => withShape(hostSlice(v, axis, i, i + 1, 1), shape));
}

function checkBodyArity(ctx: OpContext, body: Subgraph, inputs: number, given: string): void {
  if (body.inputs.length !== inputs) throw new Error(`${ctx.node}: the body takes ${body.inputs.length} inputs, but ${given} make ${inputs}`);
}

export const controlOps: Record<string, ItemOpSpec> = {
  If: {
    items: true,
    attributes: ['then_branch', 'else_branch'],
    outputs: Infinity,
    check: (attrs) => {
      const missing = requireGraphs(attrs, ['then_branch', 'else_branch']);
      if (missing.length) return missing;
      const [a, b] = [graphAttr(attrs, 'then_branch'), graphAttr(attrs, 'else_branch')];
      return a.outputs.length === b.outputs.length ? [] : [`then_branch has ${a.outputs.length} outputs and else_branch ${b.outputs.length}; they must match`];
    },
    run(ctx, [cond], attrs) {
      if (cond === undefined) throw new Error(`${ctx.node}: input cond is missing`);
      const branch = graphAttr(attrs, scalarOf(ctx, cond, 'cond') ? 'then_branch' : 'else_branch');
      if (branch.inputs.length !== 0) throw new Error(`${branch.name} must take no inputs, it takes ${branch.inputs.length}`);
      const out = ctx.runGraph(branch, []);
      if (out.length < ctx.outputs) throw new Error(`${ctx.node}: the branches make ${out.length} outputs, the node names ${ctx.outputs}`);
      return out;
    },
  },
  Loop: {
    items: true,
    attributes: ['body'],
    outputs: Infinity,
    check: (attrs) => requireGraphs(attrs, ['body']),
    run(ctx, [tripCount, cond, ...initial], attrs) {
      const body = graphAttr(attrs, 'body');
      const carried = initial.length;
      checkBodyArity(ctx, body, 2 + carried, `the iteration number, the condition and ${carried} loop-carried values`);
      const scanned = body.outputs.length - 1 - carried;
      if (scanned < 0) throw new Error(`${ctx.node}: the body makes ${body.outputs.length} outputs, fewer than the condition and ${carried} loop-carried values`);
      if (tripCount === undefined && cond === undefined) throw new Error(`${ctx.node}: neither a trip count M nor a condition is given, so the loop would never end`);
      if (initial.some((v) => v === undefined)) throw new Error(`${ctx.node}: a loop-carried initial value is missing`);
      const trips = tripCount === undefined ? Infinity : scalarOf(ctx, tripCount, 'M (the trip count)');
      let go = cond === undefined || scalarOf(ctx, cond, 'cond') !== 0;
      let values = initial as Item[];
      const scans: Item[][] = Array.from({ length: scanned }, () => []);
      for (let i = 0; i < trips && go; i++) {
        const out = ctx.runGraph(body, [Host.scalar('int64', i), Host.scalar('bool', 1), ...values]);
        // Without a cond input the loop is a for loop: the body's condition output is ignored.
        if (cond !== undefined) go = scalarOf(ctx, out[0]!, "the body's condition output") !== 0;
        values = out.slice(1, 1 + carried);
        out.slice(1 + carried).forEach((v, k) => scans[k]!.push(v));
      }
      return [...values, ...scans.map((s, k) => stackIterations(ctx, s, 0, `scan output ${k}`))];
    },
  },
  Scan: {
    items: true,
    attributes: ['body', 'num_scan_inputs', 'scan_input_axes', 'scan_input_directions', 'scan_output_axes', 'scan_output_directions'],
    outputs: Infinity,
    check: (attrs, opset) => [
      ...(opset < 9 ? ['Scan of opset 8 (a batch axis and sequence_lens) is not supported; opset 9 and later are'] : []),
      ...requireGraphs(attrs, ['body']),
      ...(typeof attrs.num_scan_inputs === 'number' ? [] : ['attribute num_scan_inputs is required']),
    ],
    run(ctx, inputs, attrs) {
      const body = graphAttr(attrs, 'body');
      const m = attrNumber(attrs, 'num_scan_inputs', 0);
      const states = inputs.length - m;
      if (states < 0 || inputs.some((v) => v === undefined)) throw new Error(`${ctx.node}: expected ${m} scan inputs after the state values, with none missing; got ${inputs.length} inputs`);
      checkBodyArity(ctx, body, inputs.length, `${states} state values and ${m} scan inputs`);
      const k = body.outputs.length - states;
      if (k < 0) throw new Error(`${ctx.node}: the body makes ${body.outputs.length} outputs, fewer than its ${states} state values`);
      const listed = (name: string, n: number) => {
        const v = attrInts(attrs, name) ?? new Array<number>(n).fill(0);
        if (v.length !== n) throw new Error(`${ctx.node}: attribute ${name} has ${v.length} entries, one per ${name.includes('input') ? 'scan input' : 'scan output'} (${n}) is needed`);
        return v;
      };
      const [inAxes, inDirections, outAxes, outDirections] = [listed('scan_input_axes', m), listed('scan_input_directions', m), listed('scan_output_axes', k), listed('scan_output_directions', k)];
      const sequences = (inputs.slice(states) as Item[]).map((item, j) => {
        const v = valueOf(ctx, item, `scan input ${j}`);
        const axis = axisOf(ctx, inAxes[j]!, shapeOf(v).length);
        const slices = slicesOf(v, axis);
        return inDirections[j] === 1 ? slices.reverse() : slices;
      });
      const length = sequences[0]?.length ?? 0;
      const other = sequences.findIndex((s) => s.length !== length);
      if (other >= 0) throw new Error(`${ctx.node}: scan input ${other} has ${sequences[other]!.length} steps along its axis, scan input 0 has ${length}`);
      let values = inputs.slice(0, states) as Item[];
      const scans: Item[][] = Array.from({ length: k }, () => []);
      for (let t = 0; t < length; t++) {
        const out = ctx.runGraph(body, [...values, ...sequences.map((s) => s[t]!)]);
        values = out.slice(0, states);
        out.slice(states).forEach((v, j) => scans[j]!.push(v));
      }
      return [...values, ...scans.map((s, j) => stackIterations(ctx, outDirections[j] === 1 ? s.reverse() : s, outAxes[j]!, `scan output ${j}`))];
    },
  },
};
