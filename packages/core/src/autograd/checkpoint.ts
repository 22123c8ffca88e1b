/**
 * Gradient checkpointing (PyTorch's `torch.utils.checkpoint.checkpoint`): run a segment of a
 * model without keeping its activations, and run it again in the backward pass to get them.
 */
import type { Tensor } from '../tensor/tensor.js';
import { owned, tidyCreated } from '../memory.js';
import { getRngState, setRngState } from '../ops/creation.js';
import { isFloating } from '../dtype.js';
import { asUserCode, autocastState } from '../autocast.js';
import { gradientsAt, gradNodeOf, recordOp } from './engine.js';
import { enableGrad, isGradEnabled } from './grad-mode.js';
import { AccumulateGrad, currentSequenceNr, MultiOutputNode, type Node, OutputNode } from './node.js';

function isTensor(value: unknown): value is Tensor {
  return value !== null && typeof value === 'object' && typeof (value as Tensor).kernelView === 'object';
}

/**
 * Fresh tensors on the arguments' values for one run of the segment: leaves (requiring grad
 * where the argument had a gradient path), or, with `connect`, identity ops on the arguments,
 * so that gradients computed from the run (under createGraph) keep a path to them.
 */
function freshArgs(args: unknown[], needs: boolean[], connect = false): { call: unknown[]; fresh: (Tensor | null)[] } {
  const fresh: (Tensor | null)[] = [];
  const call = args.map((a, i) => {
    if (!isTensor(a)) {
      fresh.push(null);
      return a;
    }
    let x: Tensor;
    if (connect && needs[i]) {
      x = recordOp('CheckpointInput', [a], a.internalAlias(false), [], (g) => [g]);
    } else {
      x = a.detach();
      if (needs[i]) x.requiresGrad = true;
    }
    fresh.push(x);
    return x;
  });
  return { call, fresh };
}

function outputsOf(result: unknown): Tensor[] {
  const outs = Array.isArray(result) ? result : [result];
  if (outs.length === 0 || !outs.every(isTensor)) {
    throw new TypeError('checkpoint: the function must return a Tensor or a non-empty array of Tensors');
  }
  return outs as Tensor[];
}

/** Nodes made since `start` that the outputs reach, and the older nodes (or leaves) they point to. */
function segmentOf(outs: Tensor[], start: number, inputs: Set<Node>): { inner: Node[]; outer: Node[] } {
  const inner: Node[] = [];
  const outer: Node[] = [];
  const seen = new Set<Node>();
  const visit = (node: Node | null, stack: Node[]) => {
    if (!node || seen.has(node) || inputs.has(node)) return;
    seen.add(node);
    if (node instanceof AccumulateGrad || node.sequenceNr < start) outer.push(node);
    else stack.push(node);
  };
  const stack: Node[] = [];
  for (const o of outs) visit(gradNodeOf(o), stack);
  while (stack.length) {
    const node = stack.pop()!;
    inner.push(node);
    for (const n of node.next) visit(n, stack);
  }
  return { inner, outer };
}

/**
 * Run `fn(...args)` without keeping the activations it computes, and compute them again
 * during the backward pass (trading compute for memory), as PyTorch's
 * `torch.utils.checkpoint.checkpoint`. The recomputation draws the same random numbers as
 * the first run (dropout masks match): the generator state is set back to what it was, and
 * restored afterwards.
 *
 * Gradients reach the tensor arguments and everything `fn` reads from outside (parameters,
 * captured tensors), also under `tl.grad` and `createGraph`, as PyTorch's
 * `use_reentrant=False` form does. `fn` must compute the same thing each time it runs, and
 * tensors it reads other than through `args` must stay alive until the backward pass.
 * Within the call, the segment's graph exists only until `fn` returns.
 *
 * @example
 * ```ts
 * const block = (x: tl.Tensor) => layer2.forward(F.dropout(layer1.forward(x).relu(), 0.1));
 * const y = tl.checkpoint(block, x);     // the hidden activation is not kept
 * y.sum().backward();                    // block runs again here
 * ```
 */
export function checkpoint<A extends unknown[], R extends Tensor | Tensor[]>(fn: (...args: A) => R, ...args: A): R {
  if (typeof fn !== 'function') throw new TypeError(`checkpoint: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  if (!isGradEnabled()) return fn(...args);
  const rng = getRngState();
  // The segment is the user's code: its ops are autocast, now and when recomputed, as PyTorch's.
  const amp = autocastState();
  const argNodes = args.map((a) => (isTensor(a) && isFloating(a.dtype) ? gradNodeOf(a) : null));
  const needs = argNodes.map((n) => n !== null);
  const start = currentSequenceNr();
  // The fresh leaves are temporaries; the segment's outputs are the result (freed if refused).
  return owned((own) => {
    const { call, fresh: leaves } = freshArgs(args, needs);
    for (const leaf of leaves) if (leaf) own(leaf);
    const { result, created } = tidyCreated(() => asUserCode(() => fn(...(call as A)), amp));
    for (const t of created) own(t);
    const outs = outputsOf(result);
    const inputNodes = new Map<Node, number>();
    leaves.forEach((leaf, i) => {
      if (leaf && needs[i]) inputNodes.set(leaf.accumulator(), i);
    });
    const { inner, outer } = segmentOf(outs, start, new Set(inputNodes.keys()));
    // What the segment reads from outside and how its outputs connect, found; now drop it.
    for (const node of inner) node.release();

    const returned = outs.map((o, k) => (created.has(o) && outs.indexOf(o) === k ? o : o.internalAlias(false)));
    const differentiable = returned.map((o) => isFloating(o.dtype) && (o.requiresGrad || o.gradFn !== null));
    if (!differentiable.some(Boolean)) {
      return (Array.isArray(result) ? returned : returned[0]) as R;
    }

    const tensorArgs = args.map((a) => (isTensor(a) ? a : null));
    const savedArgs = tensorArgs.filter((a): a is Tensor => a !== null);
    const next: (Node | null)[] = [...argNodes, ...outer];
    const backward = (grads: (Tensor | null)[], saved: Tensor[]): (Tensor | null)[] => {
      const createGraph = isGradEnabled();
      let k = 0;
      const again = tensorArgs.map((a) => (a ? saved[k++] : null));
      const recomputeArgs = args.map((a, i) => (again[i] ?? a));
      const outerRng = getRngState();
      setRngState(rng);
      const restart = currentSequenceNr();
      // The fresh arguments and the recomputed outputs are this pass's temporaries.
      return owned((own) => {
        // Under createGraph the gradients must keep a path to the arguments, for the next order.
        const fresh = freshArgs(recomputeArgs, needs, createGraph);
        for (const x of fresh.fresh) if (x) own(x);
        let recomputed: Tensor[];
        try {
          const run = tidyCreated(() => enableGrad(() => asUserCode(() => fn(...(fresh.call as A)), amp)));
          for (const t of run.created) own(t);
          recomputed = outputsOf(run.result);
        } finally {
          setRngState(outerRng);
        }
        const roots: Tensor[] = [];
        const rootGrads: Tensor[] = [];
        recomputed.forEach((o, i) => {
          if (grads[i] && gradNodeOf(o)) {
            roots.push(o);
            rootGrads.push(grads[i]!);
          }
        });
        const argTargets = fresh.fresh.map((x, i) => (x && needs[i] ? gradNodeOf(x) : null));
        const targets = [...argTargets.filter((n): n is Node => n !== null), ...outer];
        try {
          const captured = roots.length
            ? gradientsAt(roots, rootGrads, targets, { createGraph, retainGraph: createGraph, boundary: (n) => n.sequenceNr < restart })
            : new Map<Node, Tensor>();
          return [...argTargets, ...outer].map((n) => (n ? (captured.get(n) ?? null) : null));
        } finally {
          if (!createGraph) for (const node of segmentOf(recomputed, restart, new Set()).inner) node.release();
        }
      });
    };
    const node = new MultiOutputNode('CheckpointBackward', next, savedArgs.map((a) => a.internalAlias()), backward, returned.length);
    returned.forEach((o, k) => {
      if (differentiable[k]) o.setGradFn(new OutputNode(node, k));
    });
    return (Array.isArray(result) ? returned : returned[0]) as R;
  });
}
