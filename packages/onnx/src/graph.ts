// Running a planned graph: each node's implementation on the values computed so far. A
// subgraph (If's branches, a Loop's or Scan's body) runs in a scope of its own, which sees
// the values of the scopes around it, as ONNX's scoping rules say.
import { opSpec, type OpContext } from './ops/index.js';
import { isSubgraph, kindOfItem, type PlannedNode, type Subgraph } from './ops/context.js';
import { Host, type Item, Optional, Sequence, StringTensor, type Value } from './value.js';

export class Scope {
  private readonly values = new Map<string, Item>();

  constructor(private readonly parent: Scope | null = null) {}

  get(name: string): Item | undefined {
    return this.values.get(name) ?? this.parent?.get(name);
  }

  set(name: string, value: Item): void {
    this.values.set(name, value);
  }
}

export interface RunSettings {
  /** The device of new tensors when no input tensor says. */
  device: string;
  opset: number;
}

/** Run `nodes` in order, each reading its inputs from `scope` and writing its outputs there. */
export function runNodes(nodes: readonly PlannedNode[], scope: Scope, settings: RunSettings): void {
  for (const node of nodes) {
    const ctx: OpContext = {
      node: node.name,
      device: settings.device,
      opset: settings.opset,
      outputs: node.outputs.length,
      runGraph: (graph, inputs) => runSubgraph(graph, inputs, scope, settings),
      memo: node.memo,
    };
    const args = node.inputs.map((n) => (n === '' ? undefined : scope.get(n)));
    const spec = opSpec(node.domain, node.opType)!;
    let results: Item[];
    try {
      if ('items' in spec) results = spec.run(ctx, args, node.attrs);
      else {
        // A string tensor reaches only the operators that take strings.
        const strings = 'strings' in spec;
        const k = args.findIndex((a) => a instanceof Sequence || a instanceof Optional || (!strings && a instanceof StringTensor));
        if (k >= 0) throw new Error(`input '${node.inputs[k]}' is ${kindOfItem(args[k]!)}; ${node.opType} takes ${args[k] instanceof StringTensor ? 'numeric tensors' : 'tensors'}`);
        results = strings ? spec.run(ctx, args as (Value | StringTensor | undefined)[], node.attrs) : spec.run(ctx, args as (Value | undefined)[], node.attrs);
      }
    } catch (e) {
      const message = (e as Error).message;
      throw new Error(message.startsWith(node.name) ? message : `${node.name}: ${message}`);
    }
    node.outputs.forEach((n, i) => {
      if (n !== '' && results[i] !== undefined) scope.set(n, results[i]!);
    });
  }
}

/** Run a subgraph with its inputs bound in order, in a scope inside `parent`; its outputs. */
export function runSubgraph(graph: Subgraph, inputs: readonly Item[], parent: Scope, settings: RunSettings): Item[] {
  if (inputs.length !== graph.inputs.length) throw new Error(`${graph.name} takes ${graph.inputs.length} inputs, got ${inputs.length}`);
  const scope = new Scope(parent);
  for (const [name, v] of graph.constants) scope.set(name, v);
  graph.inputs.forEach((name, i) => scope.set(name, inputs[i]!));
  runNodes(graph.nodes, scope, settings);
  return graph.outputs.map((name) => {
    const v = scope.get(name);
    if (v === undefined) throw new Error(`${graph.name}: output '${name}' was not produced`);
    return v;
  });
}

/** Free the device copies of every constant a planned graph holds (node attributes and memos, subgraph initializers). */
export function releaseConstants(nodes: readonly PlannedNode[]): void {
  for (const node of nodes) {
    for (const kept of node.memo.values()) kept.release();
    for (const a of Object.values(node.attrs)) {
      if (a instanceof Host) a.release();
      else if (isSubgraph(a)) {
        for (const c of a.constants.values()) if (c instanceof Host) c.release();
        releaseConstants(a.nodes);
      }
    }
  }
}
