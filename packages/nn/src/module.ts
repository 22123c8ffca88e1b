/**
 * `Module`, `Parameter` and `Buffer`, and the containers `Sequential`, `ModuleList`,
 * `ModuleDict`, `ParameterList` and `ParameterDict`.
 *
 * A module discovers its state explicitly, without a Proxy: it walks its own enumerable
 * fields in insertion order, and a `Parameter` field is a parameter, a `Buffer` field a
 * buffer, a `Module` field a child. Fields set to `null` (an absent bias, say) are skipped.
 * Dotted names follow PyTorch's `state_dict` keys, so weights move between the two (a layer
 * whose PyTorch names are snake_case maps its camelCase fields through `stateName`).
 */
import * as tl from '@tensile/core';
import { type DType, RemovableHandle, Tensor } from '@tensile/core';
import { checkOptions } from './options.js';

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

/** Options of a `Buffer`. */
export interface BufferOptions {
  /**
   * Whether the buffer belongs in the state dict (default true). A non-persistent buffer (a
   * cache, say) is still a buffer: it moves with `to()` and shows in `namedBuffers()`, but
   * `stateDict()` leaves it out and `loadStateDict` does not expect it, as PyTorch's
   * `register_buffer(name, t, persistent=False)`.
   */
  persistent?: boolean;
}

/**
 * Non-trainable module state (BatchNorm's running statistics, say): a new handle on `data`'s
 * storage, without gradients, exempt from `tidy`. Persistent buffers (the default) belong in
 * the state dict.
 *
 * @example
 * ```ts
 * const runningMean = new Buffer(tl.zeros([16]));
 * const ropeCache = new Buffer(tl.zeros([128, 32]), { persistent: false });
 * ```
 */
export class Buffer extends Tensor {
  /** Whether `stateDict()` includes this buffer. */
  readonly persistent: boolean;

  constructor(data: Tensor, options: BufferOptions = {}) {
    // Checked before the storage is retained, so a bad option leaves nothing behind.
    checkOptions('Buffer', options, ['persistent']);
    const persistent = options.persistent ?? true;
    if (typeof persistent !== 'boolean') throw new TypeError(`Buffer: persistent must be a boolean, got ${describe(persistent)}`);
    super(data.storage.retain(), data.shape, data.strides, data.offset, data.dtype);
    this.persistent = persistent;
    tl.keep(this);
  }

  override toString(): string {
    return `Buffer(shape=${tl.formatShape(this.shape)}, dtype=${this.dtype}${this.persistent ? '' : ', persistent=false'})`;
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

/** A value's kind, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** PyTorch's checks on a name given to registerBuffer / registerParameter / addModule. */
function checkMemberName(fn: string, kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`${fn}: ${kind} name should be a string, got ${describe(name)}`);
  if (name.includes('.')) throw new Error(`${fn}: ${kind} name can't contain ".", got '${name}'`);
  if (name === '') throw new Error(`${fn}: ${kind} name can't be empty string ""`);
}

/** A forward pre-hook: sees the positional arguments; may return replacements (an array, or one value). */
export type ForwardPreHook<M extends Module = Module> = (module: M, args: any[]) => unknown;
/** A forward hook: sees the arguments and the output; may return a replacement output. */
export type ForwardHook<M extends Module = Module> = (module: M, args: any[], output: any) => unknown;
/**
 * A full backward hook: sees the gradients with respect to the module's positional
 * arguments (null for non-tensors and inputs without a gradient) and outputs; may return
 * replacements for `gradInput` (one per argument).
 */
export type FullBackwardHook<M extends Module = Module> = (
  module: M,
  gradInput: (Tensor | null)[],
  gradOutput: (Tensor | null)[],
) => (Tensor | null | undefined)[] | null | undefined | void;

interface ModuleHooks {
  forwardPre: Map<number, ForwardPreHook<any>>;
  forward: Map<number, ForwardHook<any>>;
  backward: Map<number, FullBackwardHook<any>>;
}

const HOOKS = Symbol('tensile.nn.hooks');
const WRAPPED = Symbol('tensile.nn.wrappedForward');

/** A module's hook tables, made on first use (a non-enumerable symbol property, which `clone()` copies). */
function hooksOf(module: object): ModuleHooks {
  const self = module as { [HOOKS]?: ModuleHooks };
  if (!self[HOOKS]) {
    Object.defineProperty(module, HOOKS, {
      value: { forwardPre: new Map(), forward: new Map(), backward: new Map() },
      enumerable: false,
      configurable: true,
      writable: true,
    });
  }
  return self[HOOKS]!;
}

/** The `[name, value]` pairs whose value has not come before (a shared module once, under its first name). */
function firstOfEach<T>(pairs: Iterable<readonly [string, T, ...unknown[]]>): [string, T][] {
  const seen = new Set<T>();
  const out: [string, T][] = [];
  for (const [name, value] of pairs) {
    if (seen.has(value)) continue;
    seen.add(value);
    out.push([name, value]);
  }
  return out;
}

function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}

/** Options of `zeroGrad`. */
export interface ZeroGradOptions {
  /** Drop gradients (`p.grad = null`, the default, as PyTorch 2) instead of filling them with zeros. */
  setToNone?: boolean;
}

/** What `Module.to` accepts besides a device name or a dtype. */
export interface ModuleToOptions {
  device?: string;
  /** A floating dtype for the floating parameters and buffers (others keep theirs, as PyTorch). */
  dtype?: DType;
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

  /**
   * The computation; call it directly (`model.forward(x)`) or through `call`. Once a hook is
   * registered, `forward` runs the hooks around the subclass's computation.
   */
  abstract forward(...args: any[]): any;

  /**
   * Run the module: `forward(...args)` with its hooks, as PyTorch's `model(x)`. In Tensile
   * `forward` itself runs the hooks, so the two are the same; `call` is the spelling for code
   * ported from `model(x)`.
   *
   * @example
   * ```ts
   * const y = model.call(x);
   * ```
   */
  call(...args: any[]): any {
    return this.forward(...args);
  }

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

  /**
   * Buffers with their dotted names, persistent or not; each shared buffer once.
   *
   * @example
   * ```ts
   * new BatchNorm1d(4).namedBuffers().map(([n]) => n); // ['running_mean', 'running_var', 'num_batches_tracked']
   * ```
   */
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

  /**
   * Direct children with their names.
   *
   * @example
   * ```ts
   * new Sequential(new Linear(2, 2), new ReLU()).namedChildren().map(([n]) => n); // ['0', '1']
   * ```
   */
  namedChildren(): [string, Module][] {
    return firstOfEach(this.ownOf(Module));
  }

  /** Direct children. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module (named `prefix`, `''` by default) and all its descendants, each once, depth
   * first.
   *
   * @example
   * ```ts
   * model.namedModules().map(([n]) => n); // ['', 'fc1', 'act', 'fc2']
   * ```
   */
  namedModules(prefix = ''): [string, Module][] {
    return firstOfEach(this.walk(prefix, true));
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
   * Set `requiresGrad` on every parameter (PyTorch's `requires_grad_`): `false` freezes the
   * module, as for fine-tuning a head on a frozen backbone.
   *
   * @example
   * ```ts
   * backbone.requiresGrad_(false);
   * ```
   */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') throw new TypeError(`requiresGrad_: expected a boolean, got ${describe(requiresGrad)}`);
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * Replace every parameter and buffer for which `convert` returns a new tensor by a new
   * `Parameter`/`Buffer` holding it (in its field, everywhere it is shared); the old handles
   * are disposed with their gradients.
   */
  private replaceState(convert: (t: Tensor) => Tensor | null): void {
    const replaced = new Map<Tensor, Tensor>();
    for (const module of this.modules()) {
      for (const member of module.members()) {
        const value = member.value;
        if (!(value instanceof Parameter) && !(value instanceof Buffer)) continue;
        let replacement = replaced.get(value);
        if (!replacement) {
          const converted = convert(value);
          if (!converted) continue;
          replacement =
            value instanceof Parameter
              ? new Parameter(converted, value.requiresGrad && tl.isFloating(converted.dtype))
              : new Buffer(converted, { persistent: value.persistent });
          converted.dispose();
          replaced.set(value, replacement);
        }
        member.set(replacement);
      }
    }
    for (const old of replaced.keys()) {
      old.grad = null;
      old.dispose();
    }
  }

  /**
   * Move every parameter and buffer to a device, or cast the floating ones to a floating
   * dtype (PyTorch's `module.to(device)`, `module.to(dtype)`), or both. Each is replaced in its
   * field by a new `Parameter`/`Buffer` (the old handle is disposed, gradients are dropped),
   * so build optimisers after moving a model.
   *
   * @example
   * ```ts
   * model.to('webgpu');
   * model.to({ device: 'webgpu', dtype: 'float16' });
   * ```
   */
  to(target: string | ModuleToOptions): this {
    let device: string | undefined;
    let dtype: DType | undefined;
    if (typeof target === 'string') {
      if ((tl.DTYPES as readonly string[]).includes(target)) dtype = target as DType;
      else device = target;
    } else if (target !== null && typeof target === 'object') {
      checkOptions('Module.to', target, ['device', 'dtype']);
      ({ device, dtype } = target);
    } else {
      throw new TypeError(`Module.to: expected a device name, a dtype or { device, dtype }, got ${describe(target)}`);
    }
    if (dtype !== undefined) {
      if (!(tl.DTYPES as readonly string[]).includes(dtype)) throw new Error(`Module.to: unknown dtype '${String(dtype)}'`);
      if (!tl.isFloating(dtype)) {
        throw new Error(`Module.to: only floating dtypes (float32, float16) can be given, got ${dtype}; other tensors keep their dtype`);
      }
      const device_ = device ?? this.parameters()[0]?.device;
      if (device_ !== undefined && !tl.isDTypeSupported(dtype, device_)) {
        throw new Error(`Module.to: ${dtype} is not supported on the '${device_}' backend`);
      }
    }
    this.replaceState((t) => {
      const moveIt = device !== undefined && t.device !== device;
      const castIt = dtype !== undefined && tl.isFloating(t.dtype) && t.dtype !== dtype;
      if (!moveIt && !castIt) return null;
      return tl.noGrad(() =>
        tl.tidy(() => {
          let x = moveIt ? t.to(device!) : t;
          if (castIt) x = x.cast(dtype!);
          return x === t ? t.detach() : x;
        }),
      );
    });
    return this;
  }

  /** Cast floating parameters and buffers to float16 (PyTorch's `half()`); see `to`. */
  half(): this {
    return this.to('float16');
  }

  /** Cast floating parameters and buffers to float32 (PyTorch's `float()`); see `to`. */
  float(): this {
    return this.to('float32');
  }

  /**
   * The state dict: parameters then persistent buffers of each module, depth first, under
   * PyTorch's dotted names. Values are the module's live tensors, not copies: read them, do
   * not dispose them.
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
      for (const [name, b] of module.ownOf(Buffer)) if (b.persistent) out[join(modulePrefix, name)] = b;
    }
    return out;
  }

  /**
   * Copy values from `dict` into this module's parameters and buffers (outside any graph).
   * Keys must match exactly unless `strict: false`; shapes must match, and every value must
   * be a Tensor, either way. Nothing is copied when there is an error, and the error lists
   * every problem in PyTorch's words (missing keys, unexpected keys, then each bad value).
   * Values of another dtype are cast (PyTorch's int64 `num_batches_tracked` becomes int32),
   * values on another device are moved.
   *
   * @example
   * ```ts
   * target.loadStateDict(source.stateDict());
   * ```
   */
  loadStateDict(dict: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    checkOptions('loadStateDict', options, ['strict']);
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
      throw new TypeError(`loadStateDict: expected a state dict (an object or a Map of tensors), got ${describe(dict)}`);
    }
    const strict = options.strict ?? true;
    const entries = dict instanceof Map ? (dict as Map<string, unknown>) : new Map<string, unknown>(Object.entries(dict));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !(k in own));
    const errors: string[] = [];
    if (strict && missingKeys.length) errors.push(`Missing key(s) in state_dict: ${quoteList(missingKeys)}.`);
    if (strict && unexpectedKeys.length) errors.push(`Unexpected key(s) in state_dict: ${quoteList(unexpectedKeys)}.`);
    for (const [key, target] of Object.entries(own)) {
      if (!entries.has(key)) continue;
      const value = entries.get(key);
      if (!(value instanceof Tensor)) {
        errors.push(`While copying the parameter named "${key}", expected a Tensor from checkpoint but received ${describe(value)}.`);
      } else if (value.isDisposed) {
        errors.push(`While copying the parameter named "${key}", the checkpoint's tensor was disposed.`);
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
        if (!entries.has(key)) continue;
        const value = entries.get(key) as Tensor;
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

  /**
   * Drop every parameter's gradient (`p.grad = null`, the default, as PyTorch 2), or with
   * `{ setToNone: false }` fill the existing ones with zeros (PyTorch 1's default).
   *
   * @example
   * ```ts
   * model.zeroGrad();
   * model.zeroGrad({ setToNone: false });
   * ```
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    checkOptions('zeroGrad', options, ['setToNone']);
    const setToNone = options.setToNone ?? true;
    if (typeof setToNone !== 'boolean') throw new TypeError(`zeroGrad: setToNone must be a boolean, got ${describe(setToNone)}`);
    for (const p of this.parameters()) {
      if (setToNone || !p.grad) p.grad = null;
      else p.grad = tl.noGrad(() => tl.zerosLike(p.grad!));
    }
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
    if (typeof fn !== 'function') throw new TypeError(`apply: expected a function, got ${describe(fn)}`);
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  // ---- registering members by name ---------------------------------------------------------

  private checkFree(fn: string, name: string, kind: abstract new (...args: any[]) => unknown): void {
    if (!(name in this)) return;
    const current = (this as unknown as Record<string, unknown>)[name];
    if (current === null || current === undefined || current instanceof kind) return;
    throw new Error(`${fn}: attribute '${name}' already exists`);
  }

  private setMember(name: string, value: unknown): void {
    Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
  }

  /**
   * Add a buffer under `name` (PyTorch's `register_buffer`); `null` registers an absent one.
   * A plain tensor is wrapped in a new `Buffer` (sharing its storage; the caller keeps its
   * own handle).
   *
   * @example
   * ```ts
   * this.registerBuffer('cache', tl.zeros([64, 16]), { persistent: false });
   * ```
   */
  registerBuffer(name: string, tensor: Tensor | null, options: BufferOptions = {}): void {
    checkMemberName('registerBuffer', 'buffer', name);
    if (tensor !== null && !isTensor(tensor)) {
      throw new TypeError(`registerBuffer: cannot assign a ${describe(tensor)} to buffer '${name}' (a Tensor or null required)`);
    }
    this.checkFree('registerBuffer', name, Buffer);
    const persistent = options.persistent ?? true;
    const buffer = tensor === null || (tensor instanceof Buffer && tensor.persistent === persistent) ? tensor : new Buffer(tensor, { ...options });
    this.setMember(name, buffer);
  }

  /**
   * Add a parameter under `name` (PyTorch's `register_parameter`); `null` registers an absent
   * one.
   *
   * @example
   * ```ts
   * this.registerParameter('scale', new Parameter(tl.ones([1])));
   * ```
   */
  registerParameter(name: string, param: Parameter | null): void {
    checkMemberName('registerParameter', 'parameter', name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError(`registerParameter: cannot assign a ${describe(param)} to parameter '${name}' (a Parameter or null required)`);
    }
    this.checkFree('registerParameter', name, Parameter);
    this.setMember(name, param);
  }

  /**
   * Add a child module under `name` (PyTorch's `add_module`); `null` registers an absent one.
   *
   * @example
   * ```ts
   * for (let i = 0; i < 3; i++) this.addModule(`block${i}`, new Linear(8, 8));
   * ```
   */
  addModule(name: string, module: Module | null): void {
    checkMemberName('addModule', 'module', name);
    if (module !== null && !(module instanceof Module)) throw new TypeError(`addModule: ${describe(module)} is not a Module subclass`);
    this.checkFree('addModule', name, Module);
    this.setMember(name, module);
  }

  /** PyTorch's `register_module`: the same as `addModule`. */
  registerModule(name: string, module: Module | null): void {
    this.addModule(name, module);
  }

  private memberNamed(name: string): ModuleMember | undefined {
    return this.members().find((m) => m.name === name);
  }

  /**
   * The descendant at a dotted path (PyTorch's `get_submodule`); `''` is this module.
   *
   * @example
   * ```ts
   * model.getSubmodule('encoder.layers.0');
   * ```
   */
  getSubmodule(target: string): Module {
    if (typeof target !== 'string') throw new TypeError(`getSubmodule: expected a dotted path, got ${describe(target)}`);
    if (target === '') return this;
    let module: Module = this;
    for (const atom of target.split('.')) {
      const found = module.memberNamed(atom);
      if (!found || found.value === null || found.value === undefined) throw new Error(`getSubmodule: ${module.constructor.name} has no attribute \`${atom}\``);
      if (!(found.value instanceof Module)) throw new Error(`getSubmodule: \`${atom}\` is not a Module`);
      module = found.value;
    }
    return module;
  }

  private stateMember<T>(fn: string, target: string, kind: abstract new (...args: any[]) => T, what: string): T {
    if (typeof target !== 'string') throw new TypeError(`${fn}: expected a dotted path, got ${describe(target)}`);
    const cut = target.lastIndexOf('.');
    const module = this.getSubmodule(cut < 0 ? '' : target.slice(0, cut));
    const name = target.slice(cut + 1);
    const found = module.memberNamed(name);
    if (!found || found.value === null || found.value === undefined) throw new Error(`${fn}: ${module.constructor.name} has no attribute \`${name}\``);
    if (!(found.value instanceof kind)) throw new Error(`${fn}: \`${name}\` is not ${what}`);
    return found.value as T;
  }

  /**
   * The parameter at a dotted path (PyTorch's `get_parameter`).
   *
   * @example
   * ```ts
   * model.getParameter('fc1.weight');
   * ```
   */
  getParameter(target: string): Parameter {
    return this.stateMember('getParameter', target, Parameter, 'a Parameter');
  }

  /** The buffer at a dotted path (PyTorch's `get_buffer`), e.g. `'bn.running_mean'`. */
  getBuffer(target: string): Buffer {
    return this.stateMember('getBuffer', target, Buffer, 'a buffer');
  }

  // ---- hooks -----------------------------------------------------------------------------

  /** Make `forward` run the hooks around the subclass's computation (once; cheap without hooks). */
  private installHooks(): void {
    const self = this as unknown as { forward: (...args: any[]) => any; [WRAPPED]?: boolean };
    if (Object.prototype.hasOwnProperty.call(this, 'forward') && self[WRAPPED]) return;
    const inner = self.forward;
    const wrapped = (...args: any[]) => this.runWithHooks(inner, args);
    Object.defineProperty(this, 'forward', { value: wrapped, enumerable: false, configurable: true, writable: true });
    Object.defineProperty(this, WRAPPED, { value: true, enumerable: false, configurable: true, writable: true });
  }

  private addHook<K extends keyof ModuleHooks>(fn: string, kind: K, hook: unknown): RemovableHandle {
    if (typeof hook !== 'function') throw new TypeError(`${fn}: expected a function, got ${describe(hook)}`);
    const map = hooksOf(this)[kind] as Map<number, unknown>;
    const handle = new RemovableHandle(map);
    map.set(handle.id, hook);
    this.installHooks();
    return handle;
  }

  /**
   * Call `hook(module, args)` before every `forward` (PyTorch's `register_forward_pre_hook`).
   * A hook that returns something replaces the arguments: an array is the new argument list,
   * any other value the single argument (so a forward that takes one array argument must be
   * given `[array]`). Returns a handle whose `remove()` unregisters it.
   *
   * @example
   * ```ts
   * const h = model.fc2.registerForwardPreHook((m, [x]) => x.mul(0.5));
   * ```
   */
  registerForwardPreHook<M extends Module>(this: M, hook: ForwardPreHook<M>): RemovableHandle {
    return (this as Module).addHook('registerForwardPreHook', 'forwardPre', hook);
  }

  /**
   * Call `hook(module, args, output)` after every `forward` (PyTorch's
   * `register_forward_hook`), the usual way to extract features; a returned value replaces the
   * output.
   *
   * @example
   * ```ts
   * const features: Tensor[] = [];
   * const h = model.layer3.registerForwardHook((m, args, out) => { features.push(tl.keep(out.detach())); });
   * ```
   */
  registerForwardHook<M extends Module>(this: M, hook: ForwardHook<M>): RemovableHandle {
    return (this as Module).addHook('registerForwardHook', 'forward', hook);
  }

  /**
   * Call `hook(module, gradInput, gradOutput)` when the gradients with respect to this
   * module's inputs have been computed (PyTorch's `register_full_backward_hook`).
   * `gradInput[i]` is the gradient of positional argument `i` (null for non-tensors and
   * inputs that need none), `gradOutput[j]` that of output `j`; a returned array replaces
   * `gradInput`. When no input needs a gradient, the hook runs with all-null `gradInput` once
   * the output gradients are known, and must return nothing. The gradients belong to the
   * backward pass: read them, do not dispose them.
   *
   * @example
   * ```ts
   * const h = model.fc1.registerFullBackwardHook((m, gradInput, gradOutput) => {
   *   console.log(gradOutput[0]!.shape);
   * });
   * ```
   */
  registerFullBackwardHook<M extends Module>(this: M, hook: FullBackwardHook<M>): RemovableHandle {
    return (this as Module).addHook('registerFullBackwardHook', 'backward', hook);
  }

  private runWithHooks(inner: (...args: any[]) => any, args: any[]): any {
    const hooks = (this as unknown as { [HOOKS]?: ModuleHooks })[HOOKS];
    if (!hooks || (hooks.forwardPre.size === 0 && hooks.forward.size === 0 && hooks.backward.size === 0)) {
      return inner.apply(this, args);
    }
    let input = args;
    for (const hook of [...hooks.forwardPre.values()]) {
      const result = hook(this, input);
      if (result !== undefined && result !== null) input = Array.isArray(result) ? result : [result];
    }
    const backward = hooks.backward.size > 0 && tl.isGradEnabled() ? new BackwardHookState(this, [...hooks.backward.values()]) : null;
    if (backward) input = backward.setupInput(input);
    let output = inner.apply(this, input);
    for (const hook of [...hooks.forward.values()]) {
      const result = hook(this, input, output);
      if (result !== undefined && result !== null) output = result;
    }
    if (backward) output = backward.setupOutput(output);
    return output;
  }

  // ---- copies, memory and inspection -------------------------------------------------------

  /**
   * A deep copy (PyTorch's `copy.deepcopy(model)`): the same structure, configuration and
   * training mode, with copies of every parameter and buffer (shared ones stay shared within
   * the copy), of other tensor fields (their values, without history) and the same hooks.
   * Gradients are not copied. Dispose the copy when done.
   *
   * @example
   * ```ts
   * const ema = model.clone();   // an exponential-moving-average copy
   * ema.requiresGrad_(false);
   * ```
   */
  clone(): this {
    return tl.noGrad(() => deepCopy(this, new Map()) as this);
  }

  /** Dispose every parameter (with its gradient) and buffer of this module and its descendants. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad = null;
      p.dispose();
    }
    for (const b of this.buffers()) b.dispose();
  }

  /**
   * Number of parameter elements (each shared parameter once); only trainable ones if asked.
   *
   * @example
   * ```ts
   * new Linear(2, 3).numParameters(); // 9
   * ```
   */
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
 * One module call's full backward hooks (PyTorch's `BackwardHook`): an identity op on the
 * inputs that need gradients, whose backward calls the hooks, and one on the outputs, whose
 * backward records the output gradients first.
 */
class BackwardHookState {
  private gradOutputs: (Tensor | null)[] | null = null;
  private numInputs = 0;
  private inputIndex: number[] | null = null;

  constructor(
    private readonly module: Module,
    private readonly hooks: FullBackwardHook<any>[],
  ) {}

  /** Apply `op` to the tensor entries that need gradients; the indices it applied to, or null. */
  private wrap(values: unknown[], name: string, backward: (grads: (Tensor | null)[], index: number[]) => (Tensor | null)[]): [unknown[], number[] | null] {
    const index: number[] = [];
    values.forEach((v, i) => {
      if (isTensor(v) && v.requiresGrad && tl.isFloating(v.dtype)) index.push(i);
    });
    if (index.length === 0) return [values, null];
    const op = tl.customOp({
      name,
      forward: (...xs: Tensor[]) => xs,
      backward: (grads) => backward(grads, index),
      materializeGrads: false,
    });
    const wrapped = op(...index.map((i) => values[i] as Tensor));
    const out = [...values];
    index.forEach((i, k) => (out[i] = wrapped[k]));
    return [out, index];
  }

  setupInput(args: any[]): any[] {
    this.numInputs = args.length;
    const [out, index] = this.wrap(args, 'BackwardHookFunctionBackward', (grads, idx) => this.runHooks(grads, idx));
    this.inputIndex = index;
    return out;
  }

  setupOutput(output: any): any {
    const isArray = Array.isArray(output);
    const values: unknown[] = isArray ? output : [output];
    const [out] = this.wrap(values, 'BackwardHookFunctionBackward', (grads, idx) => {
      const gradOutputs: (Tensor | null)[] = new Array(values.length).fill(null);
      // The pass frees these after this node; the hooks read them later, so keep handles.
      idx.forEach((i, k) => (gradOutputs[i] = grads[k] ? grads[k]!.cast(grads[k]!.dtype) : null));
      this.gradOutputs = gradOutputs;
      if (this.inputIndex === null) {
        // No input needs a gradient: the hooks run now, with nothing to replace.
        const gradInput = new Array<Tensor | null>(this.numInputs).fill(null);
        try {
          for (const hook of this.hooks) {
            const result = tl.tidy(() => hook(this.module, gradInput, gradOutputs));
            if (result !== undefined && result !== null && !(Array.isArray(result) && result.every((g) => g === null || g === undefined))) {
              throw new Error('registerFullBackwardHook: a backward hook of a module whose inputs need no gradient must return nothing (or all nulls)');
            }
          }
        } finally {
          this.releaseGradOutputs();
        }
      }
      return grads;
    });
    return isArray ? out : out[0];
  }

  private releaseGradOutputs(): void {
    for (const g of this.gradOutputs ?? []) g?.dispose();
    this.gradOutputs = null;
  }

  private runHooks(grads: (Tensor | null)[], index: number[]): (Tensor | null)[] {
    // Gradients reaching the inputs without passing the outputs (a double backward): no hooks.
    if (this.gradOutputs === null) return grads;
    let gradInput: (Tensor | null)[] = new Array(this.numInputs).fill(null);
    index.forEach((i, k) => (gradInput[i] = grads[k]));
    try {
      for (const hook of this.hooks) {
        const current = gradInput;
        const result = tl.tidy(() => hook(this.module, current, this.gradOutputs!));
        if (result === undefined || result === null) continue;
        if (!Array.isArray(result) || result.length !== gradInput.length) {
          throw new Error(
            `registerFullBackwardHook: a backward hook returned ${Array.isArray(result) ? `${result.length} grad_input entries` : describe(result)}, ` +
              `but expected an array of ${gradInput.length}`,
          );
        }
        gradInput = result.map((g) => (g === undefined ? null : g));
      }
    } finally {
      this.releaseGradOutputs();
    }
    // The pass takes over what it is given: hand it its own gradients back, or aliases of
    // tensors the hooks returned (which stay the hooks').
    return index.map((i) => {
      const g = gradInput[i];
      if (g === null) return null;
      if (!isTensor(g)) throw new TypeError(`registerFullBackwardHook: grad_input entry ${i} is ${describe(g)}; expected a Tensor or null`);
      return grads.includes(g) ? g : g.cast(g.dtype);
    });
  }
}

/** `clone()`'s copy of one value: modules, parameters and buffers copied once each, containers walked. */
function deepCopy(value: unknown, memo: Map<unknown, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (memo.has(value)) return memo.get(value);
  if (value instanceof Parameter) {
    const data = value.clone();
    const copy = new Parameter(data, value.requiresGrad);
    data.dispose();
    memo.set(value, copy);
    return copy;
  }
  if (value instanceof Buffer) {
    const data = value.clone();
    const copy = new Buffer(data, { persistent: value.persistent });
    data.dispose();
    memo.set(value, copy);
    return copy;
  }
  if (value instanceof Tensor) {
    // A plain tensor field (a cache, or a weight a reparametrization computes): its values.
    const copy = tl.keep(value.clone());
    if (value.requiresGrad && value.isLeaf) copy.requiresGrad = true;
    memo.set(value, copy);
    return copy;
  }
  if (value instanceof Module) {
    const copy = Object.create(Object.getPrototypeOf(value)) as Module;
    memo.set(value, copy);
    const self = value as unknown as Record<PropertyKey, unknown>;
    for (const key of Reflect.ownKeys(value)) {
      if (key === WRAPPED || (key === 'forward' && self[WRAPPED])) continue;
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      if (key === HOOKS) {
        const hooks = self[HOOKS] as ModuleHooks;
        descriptor.value = { forwardPre: new Map(hooks.forwardPre), forward: new Map(hooks.forward), backward: new Map(hooks.backward) };
      } else if ('value' in descriptor) {
        descriptor.value = deepCopy(descriptor.value, memo);
      }
      Object.defineProperty(copy, key, descriptor);
    }
    if (self[WRAPPED]) (copy as unknown as { installHooks(): void }).installHooks();
    return copy;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    memo.set(value, copy);
    for (const v of value) copy.push(deepCopy(v, memo));
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    memo.set(value, copy);
    for (const [k, v] of value) copy.set(k, deepCopy(v, memo));
    return copy;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    memo.set(value, copy);
    for (const [k, v] of Object.entries(value)) copy[k] = deepCopy(v, memo);
    return copy;
  }
  // Anything else (a function's closure, a class instance that is not a module): shared.
  return value;
}

/** A container's items as a non-enumerable own property (so `clone()` copies it and discovery ignores it). */
function defineItems<T>(target: object, items: T): T {
  Object.defineProperty(target, 'items', { value: items, enumerable: false, configurable: true, writable: true });
  return items;
}

function checkModules(fn: string, modules: readonly unknown[]): void {
  modules.forEach((m, i) => {
    if (m instanceof Module) return;
    if (Array.isArray(m)) {
      throw new TypeError(`${fn}: argument ${i} is an array; pass the modules themselves: new ${fn}(...modules)`);
    }
    throw new TypeError(`${fn}: argument ${i} is ${describe(m)}, not a Module`);
  });
}

/**
 * What Sequential, ModuleList and ParameterList share: members kept in an array, discovered
 * under their positions `'0'`, `'1'`, ..., read by index (negative counts from the end) and
 * iterated in order. `Input` is what `push` takes (ParameterList wraps plain tensors).
 */
export abstract class IndexedCollection<T extends Module | Parameter, Input = T> extends Module implements Iterable<T> {
  declare protected items: T[];

  protected override members(): ModuleMember[] {
    return [
      ...super.members(),
      ...this.items.map((value, i) => ({ name: this.memberName(i), value, set: (v: unknown) => (this.items[i] = v as T) })),
    ];
  }

  /** The name the i-th member is discovered under. */
  protected memberName(i: number): string {
    return String(i);
  }

  get length(): number {
    return this.items.length;
  }

  private outOfRange(fn: string, kinds: string, index: number): RangeError {
    return new RangeError(`${fn}: index ${index} is out of range for ${this.items.length} ${kinds}`);
  }

  /** The position `index` names (negative counts from the end), or a RangeError naming `fn` and how many `kinds` there are. */
  protected position(fn: string, kinds: string, index: number): number {
    const i = index < 0 ? index + this.items.length : index;
    if (i < 0 || i >= this.items.length) throw this.outOfRange(fn, kinds, index);
    return i;
  }

  /** The member at `index` (negative counts from the end), or a RangeError as `position` throws. */
  protected itemAt(fn: string, kinds: string, index: number): T {
    const item = this.items[index < 0 ? index + this.items.length : index];
    if (!item) throw this.outOfRange(fn, kinds, index);
    return item;
  }

  abstract push(...values: Input[]): this;

  append(value: Input): this {
    return this.push(value);
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * Modules applied one after another; children are named `'0'`, `'1'`, ..., or by the keys
 * of a Map (PyTorch's `Sequential(OrderedDict(...))`).
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * const y = model.forward(tl.randn([5, 4])); // [5, 2]
 * const named = new Sequential(new Map([['fc', new Linear(4, 2)], ['act', new ReLU()]])); // fc.weight, ...
 * ```
 */
export class Sequential extends IndexedCollection<Module> {
  declare private names: string[] | null;

  constructor(...modules: Module[] | [Map<string, Module>]) {
    super();
    if (modules.length === 1 && modules[0] instanceof Map) {
      const map = modules[0] as Map<string, Module>;
      for (const key of map.keys()) checkMemberName('Sequential', 'module', key);
      checkModules('Sequential', [...map.values()]);
      defineItems(this, [...map.values()]);
      Object.defineProperty(this, 'names', { value: [...map.keys()], enumerable: false, writable: true, configurable: true });
    } else {
      checkModules('Sequential', modules);
      defineItems(this, [...(modules as Module[])]);
      Object.defineProperty(this, 'names', { value: null, enumerable: false, writable: true, configurable: true });
    }
  }

  protected override memberName(i: number): string {
    return this.names?.[i] ?? String(i);
  }

  /** The i-th module; negative indices count from the end. */
  get(index: number): Module {
    return this.itemAt('Sequential.get', 'modules', index);
  }

  /** Append modules (PyTorch's `append`). */
  push(...modules: Module[]): this {
    checkModules('Sequential.push', modules);
    for (const m of modules) {
      this.names?.push(String(this.items.length));
      this.items.push(m);
    }
    return this;
  }

  forward(input: any): any {
    let x = input;
    for (const module of this.items) x = module.forward(x);
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
export class ModuleList<T extends Module = Module> extends IndexedCollection<T> {

  constructor(modules: Iterable<T> = []) {
    super();
    if (modules === null || typeof (modules as Iterable<T>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`ModuleList: expected an iterable of modules, got ${describe(modules)}`);
    }
    const items = [...modules];
    checkModules('ModuleList', items);
    defineItems(this, items);
  }

  /** The i-th module; negative indices count from the end. */
  get(index: number): T {
    return this.itemAt('ModuleList.get', 'modules', index);
  }

  /** Replace the i-th module. */
  set(index: number, module: T): void {
    const i = this.position('ModuleList.set', 'modules', index);
    checkModules('ModuleList.set', [module]);
    this.items[i] = module;
  }

  push(...modules: T[]): this {
    checkModules('ModuleList.push', modules);
    this.items.push(...modules);
    return this;
  }

  /** Append every module of an iterable (PyTorch's `extend`). */
  extend(modules: Iterable<T>): this {
    return this.push(...modules);
  }

  forward(..._args: any[]): never {
    throw new Error('ModuleList has no forward(); iterate over it and call each module');
  }
}

/**
 * What ModuleDict and ParameterDict share: members kept in a Map (in insertion order, each
 * discovered under its key), with the Map's reading methods.
 */
export abstract class KeyedCollection<T extends Module | Parameter> extends Module implements Iterable<[string, T]> {
  declare protected items: Map<string, T>;

  protected override members(): ModuleMember[] {
    return [
      ...super.members(),
      ...[...this.items].map(([name, value]) => ({ name, value, set: (v: unknown) => this.items.set(name, v as T) })),
    ];
  }

  /** `items.get(key)`, or an error naming `fn` and the keys there are. */
  protected lookup(fn: string, kind: string, key: string): T {
    const value = this.items.get(key);
    if (!value) throw new Error(`${fn}: no ${kind} named '${key}'; have ${[...this.items.keys()].join(', ') || 'none'}`);
    return value;
  }

  get size(): number {
    return this.items.size;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  delete(key: string): boolean {
    return this.items.delete(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  values(): T[] {
    return [...this.items.values()];
  }

  entries(): [string, T][] {
    return [...this.items.entries()];
  }

  [Symbol.iterator](): Iterator<[string, T]> {
    return this.items[Symbol.iterator]();
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
export class ModuleDict<T extends Module = Module> extends KeyedCollection<T> {

  constructor(modules: Record<string, T> | Iterable<[string, T]> = {}) {
    super();
    defineItems(this, new Map<string, T>());
    if (modules === null || typeof modules !== 'object') throw new TypeError(`ModuleDict: expected an object or an iterable of [name, module], got ${describe(modules)}`);
    const entries = Symbol.iterator in modules ? (modules as Iterable<[string, T]>) : Object.entries(modules);
    for (const [key, module] of entries) this.set(key, module);
  }

  get(key: string): T {
    return this.lookup('ModuleDict.get', 'module', key);
  }

  set(key: string, module: T): this {
    checkMemberName('ModuleDict.set', 'module', key);
    if (!(module instanceof Module)) throw new TypeError(`ModuleDict.set: the value for '${key}' is ${describe(module)}, not a Module`);
    this.items.set(key, module);
    return this;
  }

  forward(..._args: any[]): never {
    throw new Error('ModuleDict has no forward(); look modules up with get(key)');
  }
}

/** A tensor as a Parameter: itself if it is one, else a new Parameter on its storage (the caller keeps its handle). */
function asParameter(fn: string, value: unknown): Parameter {
  if (value instanceof Parameter) return value;
  if (isTensor(value)) return new Parameter(value);
  throw new TypeError(`${fn}: expected a Tensor or Parameter, got ${describe(value)}`);
}

/** PyTorch's line for one entry of a ParameterList / ParameterDict. */
function parameterLine(key: string, p: Parameter, dtypeName: string): string {
  const device = p.device === 'cpu' ? '' : ` (${p.device})`;
  return `  (${key}): Parameter containing: [${dtypeName} of size ${p.shape.join('x')}${device}]`;
}

const TYPE_NAMES: Record<DType, string> = {
  float32: 'torch.FloatTensor', float16: 'torch.HalfTensor', int32: 'torch.IntTensor', bool: 'torch.BoolTensor',
};

/**
 * A list of parameters whose entries are discovered, named `'0'`, `'1'`, ... (PyTorch's
 * `nn.ParameterList`). Plain tensors are wrapped in new Parameters (on their storage). It has
 * no `forward`.
 *
 * @example
 * ```ts
 * class Scales extends Module {
 *   scales = new ParameterList([tl.ones([4]), tl.ones([8])]);  // state dict: scales.0, scales.1
 *   forward(x: Tensor) { return x.mul(this.scales.get(0)); }
 * }
 * ```
 */
export class ParameterList extends IndexedCollection<Parameter, Tensor> {

  constructor(values: Iterable<Tensor> = []) {
    super();
    if (values === null || typeof (values as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`ParameterList: expected an iterable of tensors, got ${describe(values)}`);
    }
    defineItems(this, [...values].map((v, i) => asParameter(`ParameterList (entry ${i})`, v)));
  }

  /** The i-th parameter; negative indices count from the end. */
  get(index: number): Parameter {
    return this.itemAt('ParameterList.get', 'parameters', index);
  }

  /** Replace the i-th parameter. */
  set(index: number, value: Tensor): void {
    this.items[this.position('ParameterList.set', 'parameters', index)] = asParameter('ParameterList.set', value);
  }

  push(...values: Tensor[]): this {
    for (const v of values) this.items.push(asParameter('ParameterList.push', v));
    return this;
  }

  extend(values: Iterable<Tensor>): this {
    return this.push(...values);
  }

  override extraRepr(): string {
    return this.items.map((p, i) => parameterLine(String(i), p, `torch.${p.dtype}`)).join('\n');
  }

  forward(..._args: any[]): never {
    throw new Error('ParameterList should not be called; read its parameters with get(i)');
  }
}

/**
 * A string-keyed collection of parameters whose entries are discovered (PyTorch's
 * `nn.ParameterDict`). As in PyTorch, a plain object's entries are added in sorted key order,
 * a Map's (PyTorch's OrderedDict) or an iterable's in theirs. It has no `forward`.
 *
 * @example
 * ```ts
 * const table = new ParameterDict({ scale: tl.ones([1]), shift: tl.zeros([1]) });
 * table.get('scale');
 * ```
 */
export class ParameterDict extends KeyedCollection<Parameter> {

  constructor(values: Record<string, Tensor> | Iterable<[string, Tensor]> = {}) {
    super();
    defineItems(this, new Map<string, Parameter>());
    if (values === null || typeof values !== 'object') throw new TypeError(`ParameterDict: expected an object or an iterable of [name, tensor], got ${describe(values)}`);
    const entries = Symbol.iterator in values
      ? (values as Iterable<[string, Tensor]>)
      : Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, value] of entries) this.set(key, value);
  }

  get(key: string): Parameter {
    return this.lookup('ParameterDict.get', 'parameter', key);
  }

  set(key: string, value: Tensor): this {
    checkMemberName('ParameterDict.set', 'parameter', key);
    this.items.set(key, asParameter(`ParameterDict.set ('${key}')`, value));
    return this;
  }

  override extraRepr(): string {
    return [...this.items].map(([k, p]) => parameterLine(k, p, TYPE_NAMES[p.dtype])).join('\n');
  }

  forward(..._args: any[]): never {
    throw new Error('ParameterDict should not be called; look parameters up with get(key)');
  }
}
