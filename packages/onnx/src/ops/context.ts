// What an ONNX operator implementation sees: its inputs (tensors or host values), its
// attributes, and helpers to turn either kind of value into what a Tensile op needs.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Host, hostConcat, hostCopy, isHost, type Item, Optional, Sequence, StringTensor, type Value, withShape } from '../value.js';

export type AttributeValue = number | string | number[] | string[] | Host | StringTensor | Subgraph;
export type Attributes = Record<string, AttributeValue>;

/** A node checked at load time, with its attributes decoded. */
export interface PlannedNode {
  /** `Conv 'name'`, for messages. */
  name: string;
  /** '' for the default domain, or 'com.microsoft'. */
  domain: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Attributes;
  /** What the node's implementation keeps between forwards (`OpContext.memo`). */
  memo: Map<string, Host>;
}

/** A graph-valued attribute (If's branches, Loop's and Scan's body), checked at load time. */
export interface Subgraph {
  /** `Loop 'name' body`, for messages. */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly nodes: readonly PlannedNode[];
  /** The subgraph's initializers: constants of the model, not trainable state. */
  readonly constants: ReadonlyMap<string, Host | StringTensor>;
}

export function isSubgraph(v: AttributeValue | undefined): v is Subgraph {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Host) && !(v instanceof StringTensor);
}

export interface OpContext {
  /** `Conv 'name'`, for messages. */
  readonly node: string;
  /** The device of new tensors when no input tensor says. */
  readonly device: string;
  readonly opset: number;
  /** How many outputs the node names (Split without sizes divides into this many). */
  readonly outputs: number;
  /** Run a subgraph on `inputs` (bound to its inputs in order) where it sees this node's scope; its outputs. */
  readonly runGraph: (graph: Subgraph, inputs: readonly Item[]) => Item[];
  /** Values this node keeps from one forward to the next (weights it unpacks once), freed with the model. */
  readonly memo: Map<string, Host>;
}

interface OpRules {
  /** Attributes this implementation reads; any other is refused at load time. */
  attributes: readonly string[];
  /** How many outputs it produces (default 1; Infinity: as many as the node names); a node naming more is refused at load time. */
  outputs?: number;
  /** Problems with attribute values this implementation does not support (checked at load time). */
  check?: (attrs: Attributes, opset: number) => string[];
}

/** An operator on tensors (and host values); given a sequence or an optional, it is refused before it runs. */
export interface OpSpec extends OpRules {
  run(ctx: OpContext, inputs: (Value | undefined)[], attrs: Attributes): Value[];
}

/** An operator that also takes and gives sequences and optionals: their operators, and control flow. */
export interface ItemOpSpec extends OpRules {
  items: true;
  run(ctx: OpContext, inputs: (Item | undefined)[], attrs: Attributes): Item[];
}

/** An operator that also takes and gives string tensors (host only); given a sequence or an optional, it is refused before it runs. */
export interface StringOpSpec extends OpRules {
  strings: true;
  run(ctx: OpContext, inputs: (Value | StringTensor | undefined)[], attrs: Attributes): (Value | StringTensor)[];
}

export function deviceOf(ctx: OpContext, inputs: readonly (Value | undefined)[]): string {
  for (const v of inputs) if (v !== undefined && !isHost(v)) return v.device;
  return ctx.device;
}

/** A tensor for `v` on the inputs' device. */
export function tensorOf(ctx: OpContext, v: Value | undefined, what: string, device = ctx.device): Tensor {
  if (v === undefined) throw new Error(`${ctx.node}: input ${what} is missing`);
  return isHost(v) ? v.upload(device, `${ctx.node} input ${what}`) : v;
}

/** Every input as a tensor on one device. */
export function tensorsOf(ctx: OpContext, inputs: readonly (Value | undefined)[], count = inputs.length): Tensor[] {
  const device = deviceOf(ctx, inputs);
  return inputs.slice(0, count).map((v, i) => tensorOf(ctx, v, `${i}`, device));
}

/** A host view of `v`: shape computations need values on the host. */
export function hostOf(ctx: OpContext, v: Value | undefined, what: string): Host {
  if (v === undefined) throw new Error(`${ctx.node}: input ${what} is missing`);
  if (isHost(v)) return v;
  let data: ArrayLike<number>;
  try {
    data = v.dataSync() as ArrayLike<number>;
  } catch {
    throw new Error(
      `${ctx.node}: ${what} is computed from tensor data on '${v.device}', which cannot be read synchronously; ` +
        `this graph needs its value on the host (load it on cpu or wasm)`,
    );
  }
  return hostCopy(v, data);
}

/** An input's values as plain integers (shapes, axes, pads). */
export function intsOf(ctx: OpContext, v: Value | undefined, what: string): number[] {
  return Array.from(hostOf(ctx, v, what).data);
}

export function attrNumber(attrs: Attributes, name: string, fallback: number): number {
  const v = attrs[name];
  return typeof v === 'number' ? v : fallback;
}

export function attrInts(attrs: Attributes, name: string): number[] | undefined {
  const v = attrs[name];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

export function attrString(attrs: Attributes, name: string, fallback: string): string {
  const v = attrs[name];
  return typeof v === 'string' ? v : fallback;
}

/** A negative axis counted from the end. */
export function axisOf(ctx: OpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw new Error(`${ctx.node}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function shapeOf(v: Value): number[] {
  return [...v.shape];
}

/** A graph-valued attribute the op's check made sure of. */
export function graphAttr(attrs: Attributes, name: string): Subgraph {
  const g = attrs[name];
  if (!isSubgraph(g)) throw new Error(`internal: attribute ${name} is not a graph`);
  return g;
}

/** `item` as a tensor or host value; a sequence or an optional is refused. */
export function valueOf(ctx: OpContext, item: Item, what: string): Value {
  if (item instanceof Sequence || item instanceof Optional || item instanceof StringTensor) throw new Error(`${ctx.node}: ${what} is ${kindOfItem(item)}, a${item instanceof StringTensor ? ' numeric' : ''} tensor is needed`);
  return item;
}

/** 'a sequence', 'an optional', 'a string tensor' or 'a tensor', for messages. */
export function kindOfItem(item: Item): string {
  return item instanceof Sequence ? 'a sequence' : item instanceof Optional ? 'an optional' : item instanceof StringTensor ? 'a string tensor' : 'a tensor';
}

/** Stack values of one shape along a new `axis` (host values stay on the host). */
export function stackValues(ctx: OpContext, values: readonly Value[], axis: number, what: string): Value {
  const shape = shapeOf(values[0]!);
  const bad = values.find((v) => shapeOf(v).join() !== shape.join());
  if (bad) throw new Error(`${ctx.node}: ${what} has elements of shape [${shape}] and [${shapeOf(bad)}]; stacking needs one shape`);
  const a = axisOf(ctx, axis, shape.length + 1);
  if (values.every(isHost)) return hostConcat(values.map((v) => withShape(v, [...shape.slice(0, a), 1, ...shape.slice(a)]) as Host), a);
  const device = deviceOf(ctx, values);
  return tl.stack(values.map((v) => tensorOf(ctx, v, what, device)), a);
}

/** One output. */
export function one(v: Value): Value[] {
  return [v];
}

/** Refuse an attribute value outside `allowed`. */
export function only(attrs: Attributes, name: string, allowed: readonly AttributeValue[]): string[] {
  const v = attrs[name];
  if (v === undefined || allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) return [];
  return [`attribute ${name}=${JSON.stringify(v)} is not supported (supported: ${allowed.map((a) => JSON.stringify(a)).join(', ')})`];
}

export { tl };
