/**
 * Recording ops and running the backward pass.
 */
import type { Tensor } from '../tensor/tensor.js';
import { formatShape, shapesEqual } from '../shape.js';
import { keep } from '../memory.js';
import { isGradEnabled, withGradMode } from './grad-mode.js';
import { AccumulateGrad, type BackwardFn, Node } from './node.js';
import { isFloating } from '../dtype.js';

/** The node a gradient for `t` flows into, or null if none flows. */
export function gradNodeOf(t: Tensor): Node | null {
  if (t.gradFn) return t.gradFn;
  if (t.requiresGrad) return t.accumulator();
  return null;
}

/**
 * Attach a backward function to `out` when recording is on and some input requires grad.
 * `save` lists the tensors `backward` reads; the node keeps its own references to them.
 * Returns `out`.
 */
export function recordOp(
  name: string,
  inputs: readonly Tensor[],
  out: Tensor,
  save: readonly Tensor[],
  backward: BackwardFn,
): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  const next = inputs.map((t) => {
    const node = isFloating(t.dtype) ? gradNodeOf(t) : null;
    if (node) any = true;
    return node;
  });
  if (!any) return out;
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

/** Nodes reachable from `roots`, each with the number of edges into it from reachable nodes. */
function countDependencies(roots: Node[]): Map<Node, number> {
  const deps = new Map<Node, number>();
  const stack = [...roots];
  const seen = new Set<Node>(roots);
  for (const r of roots) deps.set(r, 0);
  while (stack.length) {
    const node = stack.pop()!;
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

/** Nodes from which some target can be reached (the only ones worth running for `tl.grad`). */
function nodesLeadingTo(roots: Node[], targets: Set<Node>): Set<Node> {
  const memo = new Map<Node, boolean>();
  const visit = (start: Node): boolean => {
    // Iterative post-order to survive deep graphs (long RNN unrolls).
    const stack: [Node, number][] = [[start, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (memo.has(node)) {
        stack.pop();
        continue;
      }
      if (i < node.next.length) {
        top[1]++;
        const child = node.next[i];
        if (child && !memo.has(child)) stack.push([child, 0]);
        continue;
      }
      stack.pop();
      memo.set(node, targets.has(node) || node.next.some((c) => c !== null && memo.get(c) === true));
    }
    return memo.get(start)!;
  };
  for (const r of roots) visit(r);
  return new Set([...memo].filter(([, reaches]) => reaches).map(([n]) => n));
}

function addGrad(grads: Map<Node, Tensor>, node: Node, grad: Tensor): void {
  const previous = grads.get(node);
  if (!previous) {
    grads.set(node, grad);
    return;
  }
  grads.set(node, previous.add(grad));
  previous.dispose();
  grad.dispose();
}

/**
 * The shared backward pass. With `targets`, gradients reaching those nodes are returned and
 * leaves' `.grad` is left alone (tl.grad); without, gradients accumulate into `.grad`.
 */
function runBackward(
  roots: Tensor[],
  rootGrads: Tensor[],
  options: BackwardOptions,
  targets?: Node[],
): Map<Node, Tensor> {
  const retain = options.retainGraph ?? options.createGraph ?? false;
  const createGraph = options.createGraph ?? false;
  const rootNodes: Node[] = [];
  const grads = new Map<Node, Tensor>();
  const captured = new Map<Node, Tensor>();
  return withGradMode(createGraph, () => {
    roots.forEach((root, i) => {
      const node = gradNodeOf(root);
      if (!node) {
        throw new Error(
          `backward: output ${i} ${formatShape(root.shape)} does not require grad and has no gradFn; ` +
            `did you compute it inside noGrad, or from tensors without requiresGrad?`,
        );
      }
      rootNodes.push(node);
      addGrad(grads, node, rootGrads[i].internalAlias(false));
    });
    const targetSet = targets ? new Set(targets) : null;
    const useful = targetSet ? nodesLeadingTo(rootNodes, targetSet) : null;
    const deps = countDependencies(rootNodes);
    const ready: Node[] = [...new Set(rootNodes)].filter((n) => deps.get(n) === 0);
    const finished = new Set<Node>();
    while (ready.length) {
      const node = ready.pop()!;
      finished.add(node);
      const grad = grads.get(node);
      grads.delete(node);
      if (grad && targetSet?.has(node)) captured.set(node, grad.internalAlias(false));
      if (grad && node instanceof AccumulateGrad) {
        if (!targetSet) accumulateIntoLeaf(node.leaf, grad, createGraph);
        else grad.dispose();
      } else if (grad && (!useful || useful.has(node))) {
        const inputGrads = node.apply(grad);
        const handed = new Set<Tensor>();
        node.next.forEach((nextNode, i) => {
          let g = inputGrads[i];
          if (!nextNode || !g) {
            if (g && g !== grad && !handed.has(g)) g.dispose();
            return;
          }
          // A backward may pass its incoming gradient straight through, or reuse one tensor for
          // two inputs; give each consumer its own handle so each can be disposed independently.
          if (g === grad || handed.has(g)) g = g.internalAlias(false);
          handed.add(g);
          addGrad(grads, nextNode, g);
        });
        grad.dispose();
      } else {
        grad?.dispose();
      }
      if (!retain) node.release();
      for (const n of node.next) {
        if (!n) continue;
        const left = deps.get(n)! - 1;
        deps.set(n, left);
        if (left === 0 && !finished.has(n)) ready.push(n);
      }
    }
    for (const g of grads.values()) g.dispose();
    return captured;
  });
}

function accumulateIntoLeaf(leaf: Tensor, grad: Tensor, createGraph: boolean): void {
  const previous = leaf.grad;
  const next = previous ? previous.add(grad) : grad;
  if (previous) {
    grad.dispose();
    previous.dispose();
  }
  leaf.grad = createGraph ? next : next.detachInPlace();
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
  const rootGrad = grad ?? defaultRootGrad(root);
  if (grad) checkRootGrad(root, grad, 'backward');
  try {
    runBackward([root], [rootGrad], options);
  } finally {
    if (!grad) rootGrad.dispose();
  }
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
export function grad(outputs: Tensor | Tensor[], inputs: Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const given = options.gradOutputs;
  if (given && given.length !== outs.length) {
    throw new Error(`grad: got ${given.length} gradOutputs for ${outs.length} outputs`);
  }
  const rootGrads = outs.map((o, i) => {
    if (given) {
      checkRootGrad(o, given[i], 'grad');
      return given[i];
    }
    return defaultRootGrad(o);
  });
  const targets = inputs.map((t, i) => {
    const node = gradNodeOf(t);
    if (!node) throw new Error(`grad: input ${i} ${formatShape(t.shape)} does not require grad`);
    return node;
  });
  try {
    const captured = runBackward(outs, rootGrads, options, targets);
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
  } finally {
    if (!given) rootGrads.forEach((g) => g.dispose());
  }
}

export { keep };
