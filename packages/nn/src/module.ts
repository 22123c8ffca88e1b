/**
 * `Module`, `Parameter` and `Buffer`, and the containers `Sequential`, `ModuleList` and
 * `ModuleDict`.
 *
 * A module discovers its state explicitly, without a Proxy: it walks its own enumerable
 * fields in insertion order, and a `Parameter` field is a parameter, a `Buffer` field a
 * buffer, a `Module` field a child. Fields set to `null` (an absent bias, say) are skipped.
 * Dotted names follow PyTorch's `state_dict` keys, so weights move between the two (a layer
 * whose PyTorch names are snake_case maps its camelCase fields through `stateName`).
 */
import * as tl from '@tensile/core';
import { Tensor } from '@tensile/core';

/**
 * A trainable tensor owned by a module: a new handle on `data`'s storage that requires
 * gradients. Parameters are exempt from `tidy` (they live until the module, or the
 * parameter, is disposed); the caller still owns `data`.
 *
 * @example
 * ```ts
 * const w = new Parameter(tl.randn([3, 4]));
 * w.requiresGrad; // true
 * ```
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    super(data.storage.retain(), data.shape, data.strides, data.offset, data.dtype);
    if (requiresGrad) this.requiresGrad = true;
    tl.keep(this);
  }

  override toString(): string {
    return `Parameter(shape=${tl.formatShape(this.shape)}, dtype=${this.dtype}, requiresGrad=${this.requiresGrad})`;
  }
}

/**
 * Non-trainable module state that belongs in the state dict (BatchNorm's running
 * statistics, say): a new handle on `data`'s storage, without gradients, exempt from `tidy`.
 *
 * @example
 * ```ts
 * const runningMean = new Buffer(tl.zeros([16]));
 * ```
 */
export class Buffer extends Tensor {
  constructor(data: Tensor) {
    super(data.storage.retain(), data.shape, data.strides, data.offset, data.dtype);
    tl.keep(this);
  }

  override toString(): string {
    return `Buffer(shape=${tl.formatShape(this.shape)}, dtype=${this.dtype})`;
  }
}

/** One discovered member of a module: its state name, its value, and how to replace it. */
export interface ModuleMember {
  name: string;
  value: unknown;
  set(value: unknown): void;
}

/** Options for `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shape mismatches are errors either way. */
  strict?: boolean;
}

/** What `loadStateDict` found: keys the model expected but the dict lacked, and the reverse. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A state dict: dotted names to tensors, in PyTorch's order. */
export type StateDict = Record<string, Tensor>;

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function quoteList(keys: readonly string[]): string {
  return keys.map((k) => `"${k}"`).join(', ');
}

/**
 * The base class of every layer and model. Subclasses declare their parameters, buffers and
 * children as fields and implement `forward`.
 *
 * @example
 * ```ts
 * class MLP extends Module {
 *   fc1 = new Linear(4, 8);
 *   act = new ReLU();
 *   fc2 = new Linear(8, 2);
 *   forward(x: Tensor): Tensor {
 *     return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
 *   }
 * }
 * const model = new MLP();
 * model.namedParameters().map(([name]) => name); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); set with `train()` / `eval()`. */
  training = true;

  /** The computation; call it directly (`model.forward(x)`). */
  abstract forward(...args: any[]): any;

  /**
   * The state-dict name of a field. The default is the field name itself; layers whose
   * PyTorch names are snake_case (BatchNorm's `running_mean`) override this.
   */
  protected stateName(field: string): string {
    return field;
  }

  /**
   * This module's own members in discovery order. The default walks the instance's own
   * enumerable fields; containers override it.
   */
  protected members(): ModuleMember[] {
    const self = this as unknown as Record<string, unknown>;
    return Object.keys(this).map((key) => ({
      name: this.stateName(key),
      value: self[key],
      set: (value: unknown) => {
        self[key] = value;
      },
    }));
  }

  /** @internal Members of one kind, for every module a walk visits. */
  private ownOf<T>(kind: abstract new (...args: any[]) => T): [string, T, ModuleMember][] {
    const out: [string, T, ModuleMember][] = [];
    for (const member of this.members()) {
      if (member.value instanceof kind) out.push([member.name, member.value as T, member]);
    }
    return out;
  }

  /** Walk (prefix, module) pairs, self first, without deduplication. */
  private *walk(prefix: string, recurse: boolean): Generator<[string, Module]> {
    yield [prefix, this];
    if (!recurse) return;
    for (const [name, child] of this.ownOf(Module)) yield* child.walk(join(prefix, name), true);
  }

  /**
   * Parameters with their dotted names (`'0.weight'`, `'encoder.fc.bias'`); each shared
   * parameter once, under its first name.
   *
   * @example
   * ```ts
   * new Linear(2, 3).namedParameters(); // [['weight', Parameter], ['bias', Parameter]]
   * ```
   */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    return this.namedState(Parameter, prefix, recurse);
  }

  /** The parameters, in `namedParameters` order. */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Buffers with their dotted names; each shared buffer once. */
  namedBuffers(prefix = '', recurse = true): [string, Buffer][] {
    return this.namedState(Buffer, prefix, recurse);
  }

  /** The buffers, in `namedBuffers` order. */
  buffers(recurse = true): Buffer[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  private namedState<T extends Tensor>(kind: abstract new (...args: any[]) => T, prefix: string, recurse: boolean): [string, T][] {
    const seen = new Set<T>();
    const out: [string, T][] = [];
    const visited = new Set<Module>();
    for (const [modulePrefix, module] of this.walk(prefix, recurse)) {
      if (visited.has(module)) continue;
      visited.add(module);
      for (const [name, value] of module.ownOf(kind)) {
        if (seen.has(value)) continue;
        seen.add(value);
        out.push([join(modulePrefix, name), value]);
      }
    }
    return out;
  }

  /** Direct children with their field names. */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, child] of this.ownOf(Module)) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push([name, child]);
    }
    return out;
  }

  /** Direct children. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module (named `prefix`, `''` by default) and all its descendants, each once. */
  namedModules(prefix = ''): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, module] of this.walk(prefix, true)) {
      if (seen.has(module)) continue;
      seen.add(module);
      out.push([name, module]);
    }
    return out;
  }

  /** This module and all its descendants. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Set training mode on this module and every descendant. */
  train(mode = true): this {
    for (const module of this.modules()) module.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. Dropout becomes the identity, BatchNorm uses its running statistics. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Move every parameter and buffer to `device`. Each is replaced in its field by a new
   * `Parameter`/`Buffer` holding the moved storage (the old handle is disposed, gradients are
   * dropped), so build optimisers after moving a model.
   *
   * @example
   * ```ts
   * model.to('webgpu');
   * ```
   */
  to(device: string): this {
    const moved = new Map<Tensor, Tensor>();
    for (const module of this.modules()) {
      for (const member of module.members()) {
        const value = member.value;
        if (!(value instanceof Parameter) && !(value instanceof Buffer)) continue;
        if (value.device === device) continue;
        let replacement = moved.get(value);
        if (!replacement) {
          const copy = value.to(device);
          replacement = value instanceof Parameter ? new Parameter(copy, value.requiresGrad) : new Buffer(copy);
          copy.dispose();
          moved.set(value, replacement);
        }
        member.set(replacement);
      }
    }
    for (const old of moved.keys()) {
      old.grad = null;
      old.dispose();
    }
    return this;
  }

  /**
   * The state dict: parameters then buffers of each module, depth first, under PyTorch's
   * dotted names. Values are the module's live tensors, not copies: read them, do not
   * dispose them.
   *
   * @example
   * ```ts
   * Object.keys(new BatchNorm1d(4).stateDict());
   * // ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
   * ```
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    for (const [modulePrefix, module] of this.walk(prefix, true)) {
      for (const [name, p] of module.ownOf(Parameter)) out[join(modulePrefix, name)] = p;
      for (const [name, b] of module.ownOf(Buffer)) out[join(modulePrefix, name)] = b;
    }
    return out;
  }

  /**
   * Copy values from `dict` into this module's parameters and buffers (outside any graph).
   * Keys must match exactly unless `strict: false`; shapes must match either way. Nothing is
   * copied when there is an error. Values of another dtype are cast (PyTorch's int64
   * `num_batches_tracked` becomes int32), values on another device are moved.
   *
   * @example
   * ```ts
   * target.loadStateDict(source.stateDict());
   * ```
   */
  loadStateDict(dict: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = dict instanceof Map ? dict : new Map(Object.entries(dict));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !(k in own));
    const errors: string[] = [];
    if (strict && unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict: ${quoteList(unexpectedKeys)}.`);
    if (strict && missingKeys.length) errors.push(`Missing key(s) in state_dict: ${quoteList(missingKeys)}.`);
    for (const [key, target] of Object.entries(own)) {
      const value = entries.get(key);
      if (!value) continue;
      if (!(value instanceof Tensor)) {
        errors.push(`value for ${key} is not a Tensor.`);
      } else if (!tl.shapesEqual(value.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape ${tl.formatShape(value.shape)} from checkpoint, ` +
            `the shape in current model is ${tl.formatShape(target.shape)}.`,
        );
      }
    }
    if (errors.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    tl.noGrad(() => {
      for (const [key, target] of Object.entries(own)) {
        const value = entries.get(key);
        if (!value) continue;
        tl.tidy(() => {
          let source = value;
          if (source.device !== target.device) source = source.to(target.device);
          if (source.dtype !== target.dtype) source = source.cast(target.dtype);
          target.assign(source);
        });
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Drop every parameter's gradient (`p.grad = null`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Call `fn` on every descendant (children first) and then on this module, as PyTorch's
   * `apply`; the usual way to re-initialise a model.
   *
   * @example
   * ```ts
   * model.apply((m) => { if (m instanceof Linear) init.zeros_(m.bias!); });
   * ```
   */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Dispose every parameter (with its gradient) and buffer of this module and its descendants. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad = null;
      p.dispose();
    }
    for (const b of this.buffers()) b.dispose();
  }

  /** Number of parameter elements (each shared parameter once); only trainable ones if asked. */
  numParameters(onlyTrainable = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!onlyTrainable || p.requiresGrad) n += p.size;
    return n;
  }

  /** The part of `toString()` inside the parentheses, e.g. `in_features=4, out_features=2, bias=True`. */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree, as PyTorch prints it.
   *
   * @example
   * ```ts
   * String(new Sequential(new Linear(4, 2), new ReLU()));
   * // Sequential(
   * //   (0): Linear(in_features=4, out_features=2, bias=True)
   * //   (1): ReLU()
   * // )
   * ```
   */
  toString(): string {
    const extra = this.extraRepr();
    const lines: string[] = extra ? extra.split('\n') : [];
    for (const [name, child] of this.ownOf(Module)) {
      const text = child.toString().split('\n');
      lines.push(`(${name}): ${text[0]}`, ...text.slice(1));
    }
    const head = this.constructor.name;
    const hasChildren = this.ownOf(Module).length > 0;
    if (!hasChildren && lines.length <= 1) return `${head}(${lines[0] ?? ''})`;
    return `${head}(\n${lines.map((l) => `  ${l}`).join('\n')}\n)`;
  }
}

/**
 * Modules applied one after another; children are named `'0'`, `'1'`, ...
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * const y = model.forward(tl.randn([5, 4])); // [5, 2]
 * ```
 */
export class Sequential extends Module implements Iterable<Module> {
  #items: Module[];

  constructor(...modules: Module[]) {
    super();
    this.#items = [...modules];
  }

  protected override members(): ModuleMember[] {
    return [
      ...super.members(),
      ...this.#items.map((value, i) => ({ name: String(i), value, set: (v: unknown) => (this.#items[i] = v as Module) })),
    ];
  }

  get length(): number {
    return this.#items.length;
  }

  /** The i-th module; negative indices count from the end. */
  get(index: number): Module {
    const i = index < 0 ? index + this.#items.length : index;
    const module = this.#items[i];
    if (!module) throw new RangeError(`Sequential.get: index ${index} is out of range for ${this.#items.length} modules`);
    return module;
  }

  /** Append a module (PyTorch's `append`). */
  push(...modules: Module[]): this {
    this.#items.push(...modules);
    return this;
  }

  append(module: Module): this {
    return this.push(module);
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }

  forward(input: any): any {
    let x = input;
    for (const module of this.#items) x = module.forward(x);
    return x;
  }
}

/**
 * A list of modules whose parameters are discovered (a plain array field is not); children
 * are named `'0'`, `'1'`, ... It has no `forward`.
 *
 * @example
 * ```ts
 * class Stack extends Module {
 *   layers = new ModuleList([new Linear(4, 4), new Linear(4, 4)]);
 *   forward(x: Tensor) { for (const l of this.layers) x = l.forward(x); return x; }
 * }
 * ```
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  #items: T[];

  constructor(modules: Iterable<T> = []) {
    super();
    this.#items = [...modules];
  }

  protected override members(): ModuleMember[] {
    return [
      ...super.members(),
      ...this.#items.map((value, i) => ({ name: String(i), value, set: (v: unknown) => (this.#items[i] = v as T) })),
    ];
  }

  get length(): number {
    return this.#items.length;
  }

  /** The i-th module; negative indices count from the end. */
  get(index: number): T {
    const i = index < 0 ? index + this.#items.length : index;
    const module = this.#items[i];
    if (!module) throw new RangeError(`ModuleList.get: index ${index} is out of range for ${this.#items.length} modules`);
    return module;
  }

  /** Replace the i-th module. */
  set(index: number, module: T): void {
    const i = index < 0 ? index + this.#items.length : index;
    if (i < 0 || i >= this.#items.length) throw new RangeError(`ModuleList.set: index ${index} is out of range for ${this.#items.length} modules`);
    this.#items[i] = module;
  }

  push(...modules: T[]): this {
    this.#items.push(...modules);
    return this;
  }

  append(module: T): this {
    return this.push(module);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.#items[Symbol.iterator]();
  }

  forward(..._args: any[]): never {
    throw new Error('ModuleList has no forward(); iterate over it and call each module');
  }
}

/**
 * A string-keyed collection of modules whose parameters are discovered, in insertion order.
 * It has no `forward`.
 *
 * @example
 * ```ts
 * const heads = new ModuleDict({ cls: new Linear(8, 10), box: new Linear(8, 4) });
 * heads.get('cls').forward(x);
 * ```
 */
export class ModuleDict<T extends Module = Module> extends Module implements Iterable<[string, T]> {
  #items = new Map<string, T>();

  constructor(modules: Record<string, T> | Iterable<[string, T]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? (modules as Iterable<[string, T]>) : Object.entries(modules);
    for (const [key, module] of entries) this.#items.set(key, module);
  }

  protected override members(): ModuleMember[] {
    return [
      ...super.members(),
      ...[...this.#items].map(([name, value]) => ({ name, value, set: (v: unknown) => this.#items.set(name, v as T) })),
    ];
  }

  get size(): number {
    return this.#items.size;
  }

  get(key: string): T {
    const module = this.#items.get(key);
    if (!module) throw new Error(`ModuleDict.get: no module named '${key}'; have ${[...this.#items.keys()].join(', ') || 'none'}`);
    return module;
  }

  set(key: string, module: T): this {
    this.#items.set(key, module);
    return this;
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  delete(key: string): boolean {
    return this.#items.delete(key);
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  values(): T[] {
    return [...this.#items.values()];
  }

  entries(): [string, T][] {
    return [...this.#items.entries()];
  }

  [Symbol.iterator](): Iterator<[string, T]> {
    return this.#items[Symbol.iterator]();
  }

  forward(..._args: any[]): never {
    throw new Error('ModuleDict has no forward(); look modules up with get(key)');
  }
}
