/**
 * Printing tensors in PyTorch's format (`torch._tensor_str`): the same choice of fixed,
 * integer or scientific notation, widths, line wrapping at 80 columns, `...` summaries past
 * 1000 elements and suffixes, spelled the JavaScript way (`true`, `requiresGrad=true`,
 * `dtype=int32`, `shape=[2, 3]`). Numbers are rounded from their exact binary value, half to
 * even, as Python's `format` does, so the digits match PyTorch's.
 *
 * Reading values synchronously is only possible on backends with `readSync` (cpu, wasm,
 * cuda); elsewhere `toString()` prints `...` in place of the values, as PyTorch prints a meta
 * tensor, and `await t.print()` / `await t.toStringAsync()` read them.
 */
import { currentBackendName } from '../backend/registry.js';
import { noGrad } from '../autograd/grad-mode.js';
import { cat } from '../ops/shape.js';
import type { AnyTypedArray } from '../dtype.js';
import type { Tensor } from './tensor.js';

/** Options of `setPrintOptions`, as PyTorch's `torch.set_printoptions`. */
export interface PrintOptions {
  /** Digits after the decimal point (default 4). */
  precision: number;
  /** Tensors with more elements than this are summarised (default 1000). */
  threshold: number;
  /** Items shown at each end of a summarised dim (default 3). */
  edgeitems: number;
  /** Characters per line before wrapping (default 80). */
  linewidth: number;
  /** Force scientific notation on (true) or off (false); null chooses per tensor (default). */
  sciMode: boolean | null;
}

const DEFAULTS: PrintOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null };
const options: PrintOptions = { ...DEFAULTS };

/**
 * Change how tensors print (PyTorch's `torch.set_printoptions`); `setPrintOptions('default')`
 * restores the defaults.
 *
 * @example
 * ```ts
 * tl.setPrintOptions({ precision: 2 });
 * console.log(String(tl.tensor([1 / 3]))); // tensor([0.33])
 * ```
 */
export function setPrintOptions(update: Partial<PrintOptions> | 'default'): void {
  if (update === 'default') {
    Object.assign(options, DEFAULTS);
    return;
  }
  const next = { ...options, ...update };
  const check = (name: keyof PrintOptions, min: number) => {
    const v = next[name];
    if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`setPrintOptions: ${name} must be an integer >= ${min}, got ${String(v)}`);
  };
  check('precision', 0);
  check('threshold', 0);
  check('edgeitems', 1);
  check('linewidth', 1);
  if (next.sciMode !== null && typeof next.sciMode !== 'boolean') throw new TypeError(`setPrintOptions: sciMode must be true, false or null, got ${String(next.sciMode)}`);
  Object.assign(options, next);
}

/** The print options in effect. */
export function getPrintOptions(): PrintOptions {
  return { ...options };
}

// ---- exact decimal formatting ---------------------------------------------------------------

const view = new DataView(new ArrayBuffer(8));

/** |x| (finite) as an integer `digits` times 10^-scale, exactly. */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0), lo = view.getUint32(4);
  const biased = hi >>> 20;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) exponent = -1074; // subnormal
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  // m / 2^k = m * 5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** `digits / 10^drop`, rounded half to even. */
function roundDigits(digits: bigint, drop: number): bigint {
  if (drop <= 0) return digits * 10n ** BigInt(-drop);
  const unit = 10n ** BigInt(drop);
  let q = digits / unit;
  const twice = (digits % unit) * 2n;
  if (twice > unit || (twice === unit && q % 2n === 1n)) q += 1n;
  return q;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/** Python's `'{:.{p}f}'.format(x)`. */
export function formatFixed(x: number, precision: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const { digits, scale } = exactDecimal(x);
  const s = roundDigits(digits, scale - precision).toString().padStart(precision + 1, '0');
  const point = s.length - precision;
  return sign(x) + s.slice(0, point) + (precision > 0 ? `.${s.slice(point)}` : '');
}

/** Python's `'{:.{p}e}'.format(x)`. */
export function formatScientific(x: number, precision: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const { digits, scale } = exactDecimal(x);
  let mantissa: string;
  let exponent: number;
  if (digits === 0n) {
    mantissa = '0'.repeat(precision + 1);
    exponent = 0;
  } else {
    const length = digits.toString().length;
    exponent = length - 1 - scale;
    let q = roundDigits(digits, length - (precision + 1));
    if (q.toString().length > precision + 1) {
      // Rounded up to the next power of ten (9.99995 -> 10.0000).
      q /= 10n;
      exponent += 1;
    }
    mantissa = q.toString();
  }
  const e = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${sign(x)}${mantissa[0]}${precision > 0 ? `.${mantissa.slice(1)}` : ''}e${e}`;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

// ---- PyTorch's _Formatter ------------------------------------------------------------------

class Formatter {
  private readonly floating: boolean;
  private readonly bool: boolean;
  private intMode = true;
  private sciMode = false;
  private maxWidth = 1;

  constructor(values: ArrayLike<number>, dtype: string, private readonly precision: number, forceSci: boolean | null) {
    this.floating = dtype === 'float32' || dtype === 'float16';
    this.bool = dtype === 'bool';
    if (!this.floating) {
      for (let i = 0; i < values.length; i++) this.maxWidth = Math.max(this.maxWidth, this.plain(values[i]).length);
    } else {
      const nonzeroFinite: number[] = [];
      for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && values[i] !== 0) nonzeroFinite.push(values[i]);
      if (nonzeroFinite.length > 0) {
        let min = Infinity, max = 0;
        for (const v of nonzeroFinite) {
          const a = Math.abs(v);
          if (a < min) min = a;
          if (a > max) max = a;
          if (v !== Math.ceil(v)) this.intMode = false;
        }
        if (this.intMode) {
          this.sciMode = max / min > 1000 || max > 1e8;
          for (const v of nonzeroFinite) {
            const width = this.sciMode ? formatScientific(v, precision).length : formatFixed(v, 0).length + 1;
            this.maxWidth = Math.max(this.maxWidth, width);
          }
        } else {
          this.sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
          for (const v of nonzeroFinite) {
            const width = (this.sciMode ? formatScientific(v, precision) : formatFixed(v, precision)).length;
            this.maxWidth = Math.max(this.maxWidth, width);
          }
        }
      }
    }
    if (forceSci !== null) this.sciMode = forceSci;
  }

  get width(): number {
    return this.maxWidth;
  }

  private plain(v: number): string {
    return this.bool ? (v ? 'true' : 'false') : String(v);
  }

  format(v: number): string {
    let s: string;
    if (!this.floating) s = this.plain(v);
    else if (this.sciMode) s = formatScientific(v, this.precision);
    else if (this.intMode) s = formatFixed(v, 0) + (Number.isFinite(v) ? '.' : '');
    else s = formatFixed(v, this.precision);
    return s.padStart(this.maxWidth);
  }
}

// ---- layout (PyTorch's _tensor_str_with_formatter, _vector_str, _add_suffixes) -------------

interface Layout {
  values: ArrayLike<number>;
  /** Shape of `values` (after summarising). */
  shape: readonly number[];
  /** Dims whose middle was dropped: `...` goes after their first `edge` items. */
  cut: readonly boolean[];
  edge: number;
  formatter: Formatter;
  linewidth: number;
}

function layoutValues(l: Layout, dim: number, offset: number, indent: number): string {
  const rank = l.shape.length;
  if (rank === 0) return l.formatter.format(l.values[0]);
  const n = l.shape[dim];
  if (dim === rank - 1) {
    const perLine = Math.max(1, Math.floor((l.linewidth - indent) / (l.formatter.width + 2)));
    const items: string[] = [];
    for (let i = 0; i < n; i++) {
      if (l.cut[dim] && i === l.edge) items.push(' ...');
      items.push(l.formatter.format(l.values[offset + i]));
    }
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  let stride = 1;
  for (let d = dim + 1; d < rank; d++) stride *= l.shape[d];
  const slices: string[] = [];
  for (let i = 0; i < n; i++) {
    if (l.cut[dim] && i === l.edge) slices.push('...');
    slices.push(layoutValues(l, dim + 1, offset + i * stride, indent + 1));
  }
  return `[${slices.join(`,${'\n'.repeat(rank - dim - 1)}${' '.repeat(indent + 1)}`)}]`;
}

function addSuffixes(text: string, suffixes: readonly string[], indent: number, linewidth: number): string {
  const parts = [text];
  // PyTorch's measure of the last line (one more than its length when there is no newline).
  let last = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (last + suffix.length + 2 > linewidth) {
      parts.push(`,\n${' '.repeat(indent)}${suffix}`);
      last = indent + suffix.length;
    } else {
      parts.push(`, ${suffix}`);
      last += suffix.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

function formatShapeList(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** `gradFn=<MatmulBackward>` from the node named 'matmul'. */
function gradFnName(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Backward`;
}

function defaultDevice(): string | null {
  try {
    return currentBackendName();
  } catch {
    return null;
  }
}

// ---- entry points ----------------------------------------------------------------------------

const PREFIX = 'tensor(';

/**
 * The values a print needs: the whole tensor, or its summary (each long dim cut to its
 * first and last `edgeitems`), as one small tensor so that a single read fetches it.
 */
function summary(t: Tensor): { source: Tensor; cut: boolean[] } {
  const edge = options.edgeitems;
  const summarize = t.size > options.threshold;
  const cut = t.shape.map((n) => summarize && n > 2 * edge);
  if (!cut.includes(true)) return { source: t, cut };
  const source = noGrad(() => {
    let x = t;
    for (let d = 0; d < t.rank; d++) {
      if (!cut[d]) continue;
      const head = x.narrow(d, 0, edge), tail = x.narrow(d, t.shape[d] - edge, edge);
      const next = cat([head, tail], d);
      head.dispose();
      tail.dispose();
      if (x !== t) x.dispose();
      x = next;
    }
    return x;
  });
  return { source, cut };
}

function render(t: Tensor, values: ArrayLike<number> | null, shape: readonly number[], cut: readonly boolean[]): string {
  const suffixes: string[] = [];
  const home = defaultDevice();
  if (t.device !== home) suffixes.push(`device='${t.device}'`);
  let body: string;
  if (values === null) {
    // Values that cannot be read synchronously: PyTorch's form for meta tensors.
    body = '...';
    suffixes.push(`shape=${formatShapeList(t.shape)}`);
    if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
  } else if (t.size === 0) {
    body = '[]';
    if (t.rank !== 1) suffixes.push(`shape=${formatShapeList(t.shape)}`);
    if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
  } else {
    // Beyond PyTorch: a summary hides the shape, so it is given.
    if (cut.includes(true)) suffixes.push(`shape=${formatShapeList(t.shape)}`);
    if (t.dtype !== 'float32' && t.dtype !== 'bool') suffixes.push(`dtype=${t.dtype}`);
    const formatter = new Formatter(values, t.dtype, options.precision, options.sciMode);
    body = layoutValues({ values, shape, cut, edge: options.edgeitems, formatter, linewidth: options.linewidth }, 0, 0, PREFIX.length);
  }
  if (t.gradFn) suffixes.push(`gradFn=<${gradFnName(t.gradFn.name)}>`);
  else if (t.requiresGrad) suffixes.push('requiresGrad=true');
  return addSuffixes(PREFIX + body, suffixes, PREFIX.length, options.linewidth);
}

function disposedText(t: Tensor): string {
  return `tensor(<disposed>, shape=${formatShapeList(t.shape)}${t.dtype !== 'float32' ? `, dtype=${t.dtype}` : ''})`;
}

/** `t.toString()`: the values where the backend reads synchronously, `...` elsewhere. */
export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return disposedText(t);
  if (!t.backend.readSync || t.size === 0) return render(t, t.size === 0 ? [] : null, t.shape, []);
  const { source, cut } = summary(t);
  try {
    return render(t, source.dataSync() as AnyTypedArray, source.shape, cut);
  } finally {
    if (source !== t) source.dispose();
  }
}

/** `await t.toStringAsync()`: the values from any backend. */
export async function formatTensorAsync(t: Tensor): Promise<string> {
  if (t.isDisposed) return disposedText(t);
  if (t.size === 0) return render(t, [], t.shape, []);
  const { source, cut } = summary(t);
  try {
    return render(t, await source.data(), source.shape, cut);
  } finally {
    if (source !== t) source.dispose();
  }
}
