/**
 * Recording ops and running the backward pass.
 */
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, shapesEqual } from '../shape.js';
import { requireTensor } from '../ops/util.js';
import { keep, owned, tidyCreated } from '../memory.js';
import { isGradEnabled, withGradMode } from './grad-mode.js';
import { AccumulateGrad, type BackwardFn, type MultiBackwardFn, MultiOutputNode, Node, OutputNode } from './node.js';
import { isFloating } from '../dtype.js';
import { checkGradient, isAnomalyEnabled } from './anomaly.js';
import { traceOp, type TraceInfo } from './trace.js';

/** The node a gradient for `t` flows into, or null if none flows. */
export function gradNodeOf(t: Tensor): Node | null {
  if (t.gradFn) return t.gradFn;
  if (t.requiresGrad) return t.accumulator();
  return null;
}

/** The gradient node of each floating input (null for the others), or null when none has one. */
function nextNodes(inputs: readonly Tensor[]): (Node | null)[] | null {
  const next = inputs.map((t) => (isFloating(t.dtype) ? gradNodeOf(t) : null));
  return next.some((node) => node !== null) ? next : null;
}

/**
 * Attach a backward function to `out` when recording is on and some input requires grad.
 * `save` lists the tensors `backward` reads; the node keeps its own references to them.
 * A running trace gets the op whether or not a gradient flows, under `noGrad` too (`trace`
 * adds what the tape's inputs leave out). Returns `out`.
 */
export function recordOp(
  name: string,
  inputs: readonly Tensor[],
  out: Tensor,
  save: readonly Tensor[],
  backward: BackwardFn,
  trace?: TraceInfo,
): Tensor {
  if (!trace?.reported) traceOp(name, trace?.inputs ?? inputs, [out], trace?.attrs);
  if (!isGradEnabled()) return out;
  const next = nextNodes(inputs);
  if (!next) return out;
  const saved = save.map((t) => t.internalAlias());
  const node = new Node(name, next, saved, backward);
  out.setGradFn(node);
  // A saved output was aliased before it had a gradFn: point it at this node, so a backward
  // that reads the output (exp, tanh, div, softmax, ...) is differentiable under createGraph.
  save.forEach((t, i) => {
    if (t === out) saved[i].setGradFn(node);
  });
  return out;
}

export interface BackwardOptions {
  /** Keep the graph's saved tensors so backward can run through it again. */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients. */
  createGraph?: boolean;
}

/**
 * Attach one backward function to several outputs of one op (each output gets its own
 * `OutputNode`, so hooks and `retainGrad` see each output's gradient). The outputs must be
 * distinct handles made by the op; outputs that are not floating point get no gradient.
 * Returns `outs`.
 */
export function recordMultiOp(
  name: string,
  inputs: readonly Tensor[],
  outs: readonly Tensor[],
  save: readonly Tensor[],
  backward: MultiBackwardFn,
  trace?: TraceInfo,
): readonly Tensor[] {
  traceOp(name, trace?.inputs ?? inputs, outs, trace?.attrs);
  if (!isGradEnabled()) return outs;
  const next = nextNodes(inputs);
  if (!next) return outs;
  const saved = save.map((t) => t.internalAlias());
  const node = new MultiOutputNode(name, next, saved, backward, outs.length);
  outs.forEach((out, k) => {
    if (!isFloating(out.dtype)) return;
    const outputNode = new OutputNode(node, k);
    out.setGradFn(outputNode);
    save.forEach((t, i) => {
      if (t === out) saved[i].setGradFn(outputNode);
    });
  });
  return outs;
}

/** What a backward pass does besides the public options. */
interface RunOptions extends BackwardOptions {
  /** Return the gradients reaching these nodes, and leave leaves' `.grad` alone (tl.grad). */
  targets?: Node[];
  /**
   * Nodes the pass must not run, release or look past (the graph outside a checkpointed
   * segment): gradients reaching them are captured when they are targets, else dropped.
   */
  boundary?: (node: Node) => boolean;
}

/** Nodes reachable from `roots` (not looking past the boundary), each with the number of edges into it. */
function countDependencies(roots: Node[], boundary?: (node: Node) => boolean): Map<Node, number> {
  const deps = new Map<Node, number>();
  const stack = [...roots];
  const seen = new Set<Node>(roots);
  for (const r of roots) deps.set(r, 0);
  while (stack.length) {
    const node = stack.pop()!;
    if (boundary?.(node)) continue;
    for (const n of node.next) {
      if (!n) continue;
      deps.set(n, (deps.get(n) ?? 0) + 1);
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return deps;
}

/**
 * Nodes that must run for `tl.grad`: those with a target below them. A target with no other
 * target below it only has its gradient captured.
 */
function nodesLeadingTo(roots: Node[], targets: Set<Node>, boundary?: (node: Node) => boolean): Set<Node> {
  const memo = new Map<Node, boolean>();
  const visit = (start: Node): void => {
    // Iterative post-order to survive deep graphs (long RNN unrolls).
    const stack: [Node, number][] = [[start, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (memo.has(node)) {
        stack.pop();
        continue;
      }
      if (i < node.next.length && !boundary?.(node)) {
        top[1]++;
        const child = node.next[i];
        if (child && !memo.has(child)) stack.push([child, 0]);
        continue;
      }
      stack.pop();
      memo.set(
        node,
        !boundary?.(node) && node.next.some((c) => c !== null && (targets.has(c) || memo.get(c) === true)),
      );
    }
  };
  for (const r of roots) visit(r);
  return new Set([...memo].filter(([, needed]) => needed).map(([n]) => n));
}

/** Gradients waiting at each node, one slot per output (one slot for most nodes). */
type Pending = Map<Node, (Tensor | null)[]>;

function addGrad(pending: Pending, node: Node, grad: Tensor, slot = 0): void {
  let slots = pending.get(node);
  if (!slots) {
    slots = new Array<Tensor | null>(node instanceof MultiOutputNode ? node.numOutputs : 1).fill(null);
    pending.set(node, slots);
  }
  const previous = slots[slot];
  if (!previous) {
    slots[slot] = grad;
    return;
  }
  slots[slot] = previous.add(grad);
  previous.dispose();
  grad.dispose();
}

function disposeSlots(slots: (Tensor | null)[] | undefined): void {
  if (slots) for (const g of slots) g?.dispose();
}

/**
 * Run the hooks registered on the tensor that `node` produces (`t.registerHook`), in order;
 * each may replace the gradient. Then give `retainGrad()` tensors their copy.
 */
function runTensorHooks(node: Node, grad: Tensor, createGraph: boolean): Tensor {
  if (node.hooks) {
    for (const hook of [...node.hooks.values()]) {
      const { result, created } = tidyCreated(() => hook(grad));
      if (result === undefined || result === null || result === grad) continue;
      if (typeof (result as Tensor).kernelView !== 'object') {
        throw new TypeError(`registerHook: a hook must return a Tensor or nothing, got ${typeof result}`);
      }
      const replacement = result as Tensor;
      if (!shapesEqual(replacement.shape, grad.shape) || replacement.dtype !== grad.dtype) {
        if (created.has(replacement)) replacement.dispose();
        throw new Error(
          `registerHook: a hook returned ${formatShape(replacement.shape)} ${replacement.dtype} for a gradient of ` +
            `${formatShape(grad.shape)} ${grad.dtype}; a hook may change values, not the shape or dtype`,
        );
      }
      grad.dispose();
      grad = created.has(replacement) ? replacement : replacement.internalAlias(false);
    }
  }
  if (node.retainers) {
    for (const ref of node.retainers) {
      const t = ref.deref();
      if (t && !t.isDisposed) accumulateInto(t, grad.internalAlias(false), createGraph);
    }
  }
  return grad;
}

/**
 * The shared backward pass. With `targets`, gradients reaching those nodes are returned and
 * leaves' `.grad` is left alone (tl.grad); without, gradients accumulate into `.grad`.
 */
function runBackward(roots: Tensor[], rootGrads: Tensor[], options: RunOptions): Map<Node, Tensor> {
  const retain = options.retainGraph ?? options.createGraph ?? false;
  const createGraph = options.createGraph ?? false;
  const { targets, boundary } = options;
  const rootNodes: Node[] = [];
  const pending: Pending = new Map();
  // The captured gradients are the result: owned, so that a pass that throws frees them.
  return withGradMode(createGraph, () => owned((own) => {
    const captured = new Map<Node, Tensor>();
    try {
      roots.forEach((root, i) => {
        const node = gradNodeOf(root);
        if (!node) {
          throw new Error(
            `backward: output ${i} ${formatShape(root.shape)} does not require grad and has no gradFn; ` +
              `did you compute it inside noGrad, or from tensors without requiresGrad?`,
          );
        }
        rootNodes.push(node);
        addGrad(pending, node, rootGrads[i].internalAlias(false));
      });
      const targetSet = targets ? new Set(targets) : null;
      const needed = targetSet ? nodesLeadingTo(rootNodes, targetSet, boundary) : null;
      const deps = countDependencies(rootNodes, boundary);
      const ready: Node[] = [...new Set(rootNodes)].filter((n) => deps.get(n) === 0);
      const finished = new Set<Node>();
      while (ready.length) {
        const node = ready.pop()!;
        finished.add(node);
        const slots = pending.get(node);
        pending.delete(node);
        if (slots?.[0] && targetSet?.has(node)) captured.set(node, own(slots[0].internalAlias(false)));
        if (boundary?.(node)) {
          disposeSlots(slots);
          continue;
        }
        const run = node instanceof AccumulateGrad ? !targetSet : !needed || needed.has(node);
        if (slots && run && slots.some((g) => g !== null)) {
          let inputGrads: (Tensor | null)[];
          let incoming: Tensor[];
          if (node instanceof MultiOutputNode) {
            inputGrads = withDisposalOnThrow(slots, () => node.applyMulti(slots));
            incoming = slots.filter((g): g is Tensor => g !== null);
          } else {
            const grad = runTensorHooks(node, slots[0]!, createGraph);
            incoming = [grad];
            if (node instanceof AccumulateGrad) {
              accumulateInto(node.leaf, grad, createGraph);
              incoming = [];
              inputGrads = [];
            } else {
              inputGrads = withDisposalOnThrow([grad], () => node.apply(grad));
            }
          }
          if (isAnomalyEnabled()) {
            try {
              inputGrads.forEach((g, i) => {
                if (g) checkGradient(node.name, i, g, node.forwardStack);
              });
            } catch (error) {
              for (const g of [...inputGrads, ...incoming]) g?.dispose();
              throw error;
            }
          }
          const handed = new Set<Tensor>();
          node.next.forEach((nextNode, i) => {
            let g = inputGrads[i];
            if (!nextNode || !g) {
              if (g && !incoming.includes(g) && !handed.has(g)) g.dispose();
              return;
            }
            // A backward may pass its incoming gradient straight through, or reuse one tensor for
            // two inputs; give each consumer its own handle so each can be disposed independently.
            if (incoming.includes(g) || handed.has(g)) g = g.internalAlias(false);
            handed.add(g);
            addGrad(pending, nextNode, g, node.slotOf(i));
          });
          for (const g of incoming) g.dispose();
        } else {
          disposeSlots(slots);
        }
        // tl.grad leaves the nodes it did not need to run as they were (PyTorch frees only
        // what it executes); backward() consumes everything it reached.
        if (!retain && (run || !targetSet)) node.release();
        for (const n of node.next) {
          if (!n) continue;
          const left = deps.get(n)! - 1;
          deps.set(n, left);
          if (left === 0 && !finished.has(n)) ready.push(n);
        }
      }
      return captured;
    } finally {
      // The gradients still waiting at nodes the pass did not reach (or when it threw).
      for (const slots of pending.values()) disposeSlots(slots);
    }
  }));
}

/** Run a node's backward; if it throws (freed graph, bad custom gradient), free the gradients it was handed. */
function withDisposalOnThrow<T>(incoming: (Tensor | null | undefined)[], apply: () => T): T {
  try {
    return apply();
  } catch (error) {
    for (const g of incoming) g?.dispose();
    throw error;
  }
}

/** Add `grad` (consumed) into `t.grad`; detached unless the pass records a graph. */
function accumulateInto(t: Tensor, grad: Tensor, createGraph: boolean): void {
  const previous = t.grad;
  const next = previous ? previous.add(grad) : grad;
  if (previous) {
    grad.dispose();
    previous.dispose();
  }
  t.grad = createGraph ? next : next.detachInPlace();
}

function defaultRootGrad(root: Tensor): Tensor {
  if (root.size !== 1) {
    throw new Error(
      `backward: grad can be implicitly created only for outputs with one element, but the output ` +
        `has shape ${formatShape(root.shape)}; pass a gradient: out.backward(gradOut)`,
    );
  }
  return root.onesLikeInternal();
}

function checkRootGrad(root: Tensor, grad: Tensor, op: string): void {
  if (!shapesEqual(root.shape, grad.shape)) {
    throw new Error(`${op}: gradient shape ${formatShape(grad.shape)} does not match output shape ${formatShape(root.shape)}`);
  }
  if (grad.device !== root.device) {
    throw new Error(`${op}: gradient is on '${grad.device}' but the output is on '${root.device}'`);
  }
}

/** `t.backward(grad?, options)`: accumulate gradients into the `.grad` of leaves. */
export function backward(root: Tensor, grad?: Tensor, options: BackwardOptions = {}): void {
  owned((own) => {
    const rootGrad = grad ?? own(defaultRootGrad(root));
    if (grad) checkRootGrad(root, grad, 'backward');
    runBackward([root], [rootGrad], options);
  });
}

/**
 * Accumulate the gradients of several outputs into the leaves' `.grad` in one pass, as
 * PyTorch's `torch.autograd.backward(tensors, grad_tensors)`; `grads[i]` may be omitted for a
 * one-element output.
 *
 * @example
 * ```ts
 * tl.autograd.backward([lossA, lossB]);
 * ```
 */
export function backwardAll(outputs: Tensor | Tensor[], grads?: (Tensor | null | undefined)[] | Tensor, options: BackwardOptions = {}): void {
  const roots = Array.isArray(outputs) ? outputs : [outputs];
  const given = grads === undefined ? [] : Array.isArray(grads) ? grads : [grads];
  if (given.length > roots.length) throw new Error(`backward: got ${given.length} gradients for ${roots.length} outputs`);
  owned((own) => {
    const rootGrads = roots.map((root, i) => {
      const g = given[i];
      if (!g) return own(defaultRootGrad(root));
      checkRootGrad(root, g, 'backward');
      return g;
    });
    runBackward(roots, rootGrads, options);
  });
}

export interface GradOptions extends BackwardOptions {
  /** Gradients of the outputs (default: ones, for one-element outputs). */
  gradOutputs?: Tensor[];
  /** Return null for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/**
 * Gradients of `outputs` with respect to `inputs`, without touching `.grad`. With
 * `createGraph`, the result is itself differentiable (second derivatives).
 *
 * @example
 * ```ts
 * const x = tl.tensor(3, { requiresGrad: true });
 * const [dy] = tl.grad(x.pow(3), [x], { createGraph: true }); // 27
 * const [d2y] = tl.grad(dy!, [x]);                            // 18
 * ```
 */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  // One tensor or an array, as PyTorch's torch.autograd.grad; the result is always an array.
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  outs.forEach((t, i) => requireTensor('grad', t, `output ${i}`));
  ins.forEach((t, i) => requireTensor('grad', t, `input ${i}`));
  const given = options.gradOutputs;
  if (given && given.length !== outs.length) {
    throw new Error(`grad: got ${given.length} gradOutputs for ${outs.length} outputs`);
  }
  // Inputs are checked before any root gradient is made, so a bad input leaves nothing behind.
  const targets = ins.map((t, i) => {
    const node = gradNodeOf(t);
    if (!node) throw new Error(`grad: input ${i} ${formatShape(t.shape)} does not require grad`);
    return node;
  });
  return owned((own) => {
    const rootGrads = outs.map((o, i) => {
      if (!given) return own(defaultRootGrad(o));
      checkRootGrad(o, given[i], 'grad');
      return given[i];
    });
    const captured = runBackward(outs, rootGrads, { ...options, targets });
    for (const g of captured.values()) own(g); // each is returned below, unless an input was unused
    const handedOut = new Set<Node>();
    return targets.map((node, i) => {
      const g = captured.get(node);
      if (!g) {
        if (options.allowUnused) return null;
        throw new Error(`grad: input ${i} was not used to compute the outputs; pass { allowUnused: true } to get null`);
      }
      // Several inputs may be the same tensor: each gets its own handle.
      if (handedOut.has(node)) return g.internalAlias(false);
      handedOut.add(node);
      return g;
    });
  });
}

export { keep };

/**
 * @internal The gradients of `outputs` (seeded with `gradOutputs`, which stay the caller's)
 * reaching each of `targets`, for the autograd tools in this folder (checkpoint). Never
 * runs, releases or looks past a node for which `boundary` is true.
 */
export function gradientsAt(
  outputs: Tensor[],
  gradOutputs: Tensor[],
  targets: Node[],
  options: BackwardOptions & { boundary?: (node: Node) => boolean },
): Map<Node, Tensor> {
  return runBackward(outputs, gradOutputs, { ...options, targets });
}
