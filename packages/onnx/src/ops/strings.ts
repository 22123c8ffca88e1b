// String tensors (ONNX's tensor(string)) are host values of their own and never reach a device.
// Here: StringNormalizer and TfIdfVectorizer, opset 20's StringConcat, StringSplit and RegexFullMatch, Cast and CastLike to and from strings, Constant's
// string forms, and the data-movement operators on strings. Each of the latter runs its numeric
// implementation when no input is a string, and otherwise runs that implementation's host path
// on the positions of the strings (0, 1, 2, ...), then picks the strings at the positions it
// gives back. Any operator not here refuses a string input, naming the node and the input.
import { Host, type HostDType, broadcastData, broadcastShapes, hostGather, hostSlice, isIntegerDType, StringTensor, type Value } from '../value.js';
import { computedAs, ELEMENT_TYPES, type ElementName, STRING_TYPE } from '../element-types.js';
import { type Attributes, type OpContext, type OpSpec, type StringOpSpec, attrInts, attrNumber, attrString, axisOf, hostOf, intsOf, only } from './context.js';
import { elementwiseOps } from './elementwise.js';
import { shapeOps } from './shape.js';

type Input = Value | StringTensor | undefined;

function isStrings(v: Input): v is StringTensor {
  return v instanceof StringTensor;
}

/** The positions 0, 1, ... (from `offset`) of a string tensor's elements, as a host value of its shape. */
function positions(s: StringTensor, offset = 0): Host {
  return new Host('int64', [...s.shape], Array.from({ length: s.size }, (_, i) => offset + i));
}

/** The strings of `pool` at the positions `h` holds, in h's shape. */
function pick(ctx: OpContext, h: Value | StringTensor, pool: readonly string[]): StringTensor {
  if (!(h instanceof Host)) throw new Error(`internal: ${ctx.node} computed string positions off the host`);
  return new StringTensor(Array.from(h.data, (i) => pool[i]!), h.shape);
}

/** A numeric input, refusing a string tensor by name. */
function numeric(ctx: OpContext, v: Input, what: string): Value | undefined {
  if (isStrings(v)) throw new Error(`${ctx.node}: input ${what} is a string tensor; it must be numeric`);
  return v;
}

/** A string input, refusing a numeric one by name. */
function stringsOf(ctx: OpContext, v: Input, what: string, why = 'a string tensor is needed'): StringTensor {
  if (v === undefined) throw new Error(`${ctx.node}: input ${what} is missing`);
  if (!isStrings(v)) throw new Error(`${ctx.node}: input ${what} is a ${v.dtype} tensor; ${why}`);
  return v;
}

/** The numeric operator `base`, also on strings: `run` computes the string case. */
function alsoStrings(base: OpSpec, run: StringOpSpec['run']): StringOpSpec {
  return {
    strings: true,
    attributes: base.attributes,
    ...(base.outputs === undefined ? {} : { outputs: base.outputs }),
    ...(base.check ? { check: base.check } : {}),
    run(ctx, inputs, attrs) {
      if (!inputs.some(isStrings)) return base.run(ctx, inputs as (Value | undefined)[], attrs);
      return run(ctx, inputs, attrs);
    },
  };
}

/**
 * A data-movement operator whose host path moves the elements of its `data` inputs (by index in
 * `names`, or every input): on strings it moves their positions, and its other inputs (shapes,
 * axes, indices, a condition) are read on the host. `positional` false: the outputs are not
 * positions (Shape and Size).
 */
function onPositions(base: OpSpec, names: readonly string[] | null, data: readonly number[] | 'all', positional = true): StringOpSpec {
  return alsoStrings(base, (ctx, inputs, attrs) => {
    const pool: string[] = [];
    const name = (i: number) => names?.[i] ?? `${i}`;
    const isData = (i: number) => data === 'all' || data.includes(i);
    inputs.forEach((v, i) => isData(i) || numeric(ctx, v, name(i)));
    const args = inputs.map((v, i) => {
      if (v === undefined) return undefined;
      if (isData(i)) {
        if (!isStrings(v)) throw new Error(`${ctx.node}: input ${name(i)} is a ${v.dtype} tensor and another input a string tensor; they must be of one type`);
        const p = positions(v, pool.length);
        for (const s of v.data) pool.push(s);
        return p;
      }
      return hostOf(ctx, numeric(ctx, v, name(i)), name(i));
    });
    const out = base.run(ctx, args, attrs);
    return positional ? out.map((h) => pick(ctx, h, pool)) : out;
  });
}

// Cast: numbers to text as onnxruntime writes them (printf's %.8g for floats), text to numbers
// as C++'s std::stod, std::stoll and std::stoull read them (what onnxruntime calls).

/** printf's `%.8g` of a double: 8 significant digits, rounded half to even on the exact binary value. */
function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  if (v === 0) return `${sign}0`;
  // |v| = m 2^e exactly; as a decimal, digits 10^k.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  const digits = e >= 0 ? (m << BigInt(e)).toString() : (m * 5n ** BigInt(-e)).toString();
  const k = e >= 0 ? 0 : e;
  let exponent = digits.length - 1 + k;
  let head = digits.slice(0, 8);
  const rest = digits.slice(8);
  if (rest.length > 0) {
    const tie = rest[0] === '5' && /^50*$/.test(rest);
    const up = rest[0]! > '5' || (rest[0] === '5' && !tie) || (tie && Number(head.at(-1)) % 2 === 1);
    if (up) {
      head = (BigInt(head) + 1n).toString();
      if (head.length > 8) {
        head = head.slice(0, 8);
        exponent++;
      }
    }
  }
  head = head.padEnd(8, '0');
  const trim = (s: string) => s.replace(/0+$/, '');
  if (exponent < -4 || exponent >= 8) {
    const frac = trim(head.slice(1));
    return `${sign}${head[0]}${frac ? `.${frac}` : ''}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const whole = exponent >= 0 ? head.slice(0, exponent + 1) : '0';
  const frac = trim(exponent >= 0 ? head.slice(exponent + 1) : '0'.repeat(-exponent - 1) + head);
  return `${sign}${whole}${frac ? `.${frac}` : ''}`;
}

/** A host value's element as Cast writes it: floats as %.8g, integers in decimal, bools as 1 and 0. */
function formatValue(v: number, dtype: HostDType): string {
  if (dtype === 'float32') return formatFloat(v);
  if (dtype === 'bool') return v ? '1' : '0';
  return String(v);
}

const SPACE = /^[ \t\n\v\f\r]*/;

/** std::stod: the longest number at the start of `s` (after white space), or null where there is none. */
function readDouble(s: string): { value: number; nonzero: boolean } | null {
  let rest = s.replace(SPACE, '');
  let negative = false;
  if (rest[0] === '+' || rest[0] === '-') {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  const signed = (x: number) => (negative ? -x : x);
  if (/^inf/i.test(rest)) return { value: signed(Infinity), nonzero: true };
  if (/^nan/i.test(rest)) return { value: NaN, nonzero: true };
  const hex = /^0x(?:([0-9a-f]+)(?:\.([0-9a-f]*))?|\.([0-9a-f]+))(?:p([+-]?\d+))?/i.exec(rest);
  if (hex) {
    const whole = hex[1] ?? '';
    const frac = hex[2] ?? hex[3] ?? '';
    const mantissa = BigInt(`0x${whole}${frac}`);
    const value = Number(mantissa) * 2 ** (Number(hex[4] ?? 0) - 4 * frac.length);
    return { value: signed(value), nonzero: mantissa !== 0n };
  }
  const decimal = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(rest);
  if (!decimal) return null;
  return { value: signed(Number(decimal[0])), nonzero: /[1-9]/.test(decimal[0].replace(/e.*$/i, '')) };
}

/** std::stoll and std::stoull: the decimal integer at the start of `s` (after white space, with a sign), or null. */
function readInteger(s: string): bigint | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(s);
  if (!m) return null;
  const magnitude = BigInt(m[2]!);
  return m[1] === '-' ? -magnitude : magnitude;
}

const INTEGER_BITS: Partial<Record<ElementName, { bits: number; signed: boolean }>> = {
  int64: { bits: 64, signed: true }, int32: { bits: 32, signed: true }, int16: { bits: 16, signed: true }, int8: { bits: 8, signed: true },
  uint16: { bits: 16, signed: false }, uint8: { bits: 8, signed: false },
};

/** One string as Cast reads it into `name` (wrapping integers to the type's width, as a C++ narrowing cast does). */
function parseString(ctx: OpContext, s: string, name: ElementName): number {
  const quoted = JSON.stringify(s);
  const integer = INTEGER_BITS[name];
  if (integer || name === 'bool') {
    const v = readInteger(s);
    if (v === null) throw new Error(`${ctx.node}: cannot cast ${quoted} to ${name}: it does not start with a decimal integer`);
    // std::stoll for signed types; std::stoull (negative values wrap) for unsigned ones and bool.
    const signed = integer?.signed ?? false;
    if (signed ? v < -(2n ** 63n) || v >= 2n ** 63n : v <= -(2n ** 64n) || v >= 2n ** 64n) throw new Error(`${ctx.node}: cannot cast ${quoted} to ${name}: out of ${signed ? 'int64' : 'uint64'}'s range`);
    if (name === 'bool') return v === 0n ? 0 : 1;
    const { bits } = integer!;
    return Number(signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
  }
  const read = readDouble(s);
  if (read === null) throw new Error(`${ctx.node}: cannot cast ${quoted} to ${name}: it does not start with a number`);
  if ((!Number.isFinite(read.value) && !/^[ \t\n\v\f\r]*[+-]?(inf|nan)/i.test(s)) || (read.value === 0 && read.nonzero)) {
    throw new Error(`${ctx.node}: cannot cast ${quoted} to ${name}: out of double's range`);
  }
  return read.value;
}

/** The host dtype Cast makes of an element type (as the numeric Cast: int32 and the small integers as int64). */
function castDType(name: ElementName): HostDType {
  const computed = computedAs(name);
  return computed === 'int32' ? 'int64' : computed;
}

function castStrings(ctx: OpContext, x: Input, to: number): (Value | StringTensor)[] {
  if (to === STRING_TYPE) {
    if (isStrings(x)) return [x];
    const h = hostOf(ctx, x, 'input');
    return [new StringTensor(Array.from(h.data, (v) => formatValue(v, h.dtype)), h.shape)];
  }
  const s = x as StringTensor;
  const name = ELEMENT_TYPES[to]!;
  const dtype = castDType(name);
  const values = s.data.map((v) => parseString(ctx, v, name));
  return [new Host(dtype, [...s.shape], dtype === 'float32' ? Float32Array.from(values) : values)];
}

/** Cast's code for a value's dtype (integers as int64, as the numeric CastLike). */
const TYPE_CODES: Record<string, number> = { float32: 1, int64: 7, int32: 7, bool: 9, uint8: 2, int8: 3 };

// StringNormalizer: case changes code point by code point, Unicode's simple case mapping (as
// C++'s std::toupper and std::tolower on wide characters, which onnxruntime uses): a character
// whose full mapping is several characters (ß to SS, the ligature ﬁ to FI) is left as it is.

/**
 * An ONNX locale name (POSIX en_US.UTF-8, Windows en-US) as a BCP 47 tag for the case mappings
 * (a language's own rules: Turkish dotted and dotless i); 'und' (Unicode's) for C.UTF-8; null
 * for C and POSIX, which change ASCII letters only.
 */
function localeTag(name: string): string | null {
  const [base, encoding] = name.split('@')[0]!.split('.');
  if (base === 'C' || base === 'POSIX') return encoding ? 'und' : null;
  return Intl.getCanonicalLocales(base!.replace(/_/g, '-'))[0]!;
}

/** The simple upper case of the Greek letters with ypogegrammeni, whose full upper case is two letters. */
function greekUpper(c: number): number | null {
  if ((c >= 0x1f80 && c <= 0x1f87) || (c >= 0x1f90 && c <= 0x1f97) || (c >= 0x1fa0 && c <= 0x1fa7)) return c + 8;
  return c === 0x1fb3 || c === 0x1fc3 || c === 0x1ff3 ? c + 9 : null;
}

function changeCase(s: string, upper: boolean, locale: string | null): string {
  if (locale === null) return s.replace(upper ? /[a-z]+/g : /[A-Z]+/g, (m) => (upper ? m.toUpperCase() : m.toLowerCase()));
  let out = '';
  for (const ch of s) {
    const mapped = upper ? ch.toLocaleUpperCase(locale) : ch.toLocaleLowerCase(locale);
    if ([...mapped].length === 1) out += mapped;
    // İ's full lower case is i and a combining dot; its simple one is i.
    else if (!upper && ch === '\u0130') out += 'i';
    else out += String.fromCodePoint((upper ? greekUpper(ch.codePointAt(0)!) : null) ?? ch.codePointAt(0)!);
  }
  return out;
}

function checkStringNormalizer(attrs: Attributes): string[] {
  const problems = only(attrs, 'case_change_action', ['NONE', 'LOWER', 'UPPER']);
  if (attrs.locale !== undefined) {
    try {
      localeTag(attrString(attrs, 'locale', ''));
    } catch {
      problems.push(`attribute locale=${JSON.stringify(attrs.locale)} is not a locale name (en_US, en_US.UTF-8, de-DE, tr_TR...)`);
    }
  }
  if (attrs.stopwords !== undefined && !(Array.isArray(attrs.stopwords) && attrs.stopwords.every((w) => typeof w === 'string'))) problems.push('attribute stopwords must be a list of strings');
  return problems;
}

// TfIdfVectorizer: the pool's n-grams by their key, each with its place in the pool; the counts
// of every n-gram of min_gram_length to max_gram_length items, each 1 to max_skip_count + 1
// apart (1-grams counted once), weighted as the mode says.

interface NgramPool {
  /** An n-gram's items (JSON of strings, or integers joined by commas) -> its index in the pool. */
  ids: Map<string, number>;
  /** Output columns: max(ngram_indexes) + 1. */
  columns: number;
}

const POOLS = new WeakMap<Attributes, NgramPool>();

/** The problems with a TfIdfVectorizer's attributes, and its n-gram pool when there are none. */
function planPool(attrs: Attributes): { problems: string[]; pool: NgramPool | null } {
  const problems: string[] = [];
  for (const name of ['max_gram_length', 'min_gram_length', 'max_skip_count', 'mode', 'ngram_counts', 'ngram_indexes']) {
    if (attrs[name] === undefined) problems.push(`attribute ${name} is missing`);
  }
  if (problems.length) return { problems, pool: null };
  problems.push(...only(attrs, 'mode', ['TF', 'IDF', 'TFIDF']));
  const [min, max, skip] = ['min_gram_length', 'max_gram_length', 'max_skip_count'].map((n) => attrNumber(attrs, n, 0)) as [number, number, number];
  const counts = attrInts(attrs, 'ngram_counts') ?? [];
  const indexes = attrInts(attrs, 'ngram_indexes') ?? [];
  const weights = attrs.weights as number[] | undefined;
  if (!(min >= 1)) problems.push(`attribute min_gram_length=${min} must be 1 or more`);
  if (!(max >= min)) problems.push(`attribute max_gram_length=${max} must be min_gram_length (${min}) or more`);
  if (!(skip >= 0)) problems.push(`attribute max_skip_count=${skip} must be 0 or more`);
  if (counts.length === 0) problems.push('attribute ngram_counts must not be empty');
  else if (max > counts.length) problems.push(`attribute max_gram_length=${max} is longer than ngram_counts gives n-grams for (${counts.length})`);
  if (indexes.length === 0) problems.push('attribute ngram_indexes must not be empty');
  if (indexes.some((i) => i < 0)) problems.push(`attribute ngram_indexes [${indexes}] must not hold negative values`);
  const columns = Math.max(...indexes, -1) + 1;
  if (weights !== undefined && (!Array.isArray(weights) || weights.length !== indexes.length)) problems.push(`attribute weights has ${Array.isArray(weights) ? weights.length : 'no list of'} values; it needs one per n-gram of the pool, as ngram_indexes (${indexes.length})`);
  const strings = attrs.pool_strings;
  const ints = attrs.pool_int64s;
  if ((strings === undefined) === (ints === undefined)) problems.push('exactly one of the attributes pool_strings and pool_int64s must be given');
  const items = (strings ?? ints ?? []) as (string | number)[];
  if (strings !== undefined && ints === undefined && !(Array.isArray(strings) && strings.every((s) => typeof s === 'string'))) problems.push('attribute pool_strings must be a list of strings');
  if (ints !== undefined && strings === undefined && !(Array.isArray(ints) && ints.every((s) => typeof s === 'number'))) problems.push('attribute pool_int64s must be a list of integers');
  if ((strings !== undefined || ints !== undefined) && items.length === 0) problems.push(`attribute ${strings !== undefined ? 'pool_strings' : 'pool_int64s'} must not be empty`);
  if (problems.length) return { problems, pool: null };
  const ids = new Map<string, number>();
  let id = 0;
  counts.forEach((start, k) => {
    const n = k + 1;
    const end = k + 1 < counts.length ? counts[k + 1]! : items.length;
    if (!(start >= 0 && end >= start && end <= items.length)) {
      problems.push(`attribute ngram_counts [${counts}] does not split the pool of ${items.length} items (${n}-grams from ${start} to ${end})`);
      return;
    }
    if ((end - start) % n !== 0) {
      problems.push(`the pool's ${n}-grams (items ${start} to ${end}) are not whole ${n}-grams`);
      return;
    }
    for (let at = start; at < end; at += n, id++) {
      if (n < min || n > max) continue;
      const key = ngramKey(items.slice(at, at + n));
      if (ids.has(key)) problems.push(`the pool holds the ${n}-gram [${items.slice(at, at + n).join(', ')}] twice`);
      ids.set(key, id);
    }
  });
  if (!problems.length && id !== indexes.length) problems.push(`attribute ngram_indexes has ${indexes.length} entries for the pool's ${id} n-grams`);
  return { problems, pool: problems.length ? null : { ids, columns } };
}

function ngramKey(items: readonly (string | number)[]): string {
  return typeof items[0] === 'string' ? JSON.stringify(items) : items.join(',');
}

function tfIdf(ctx: OpContext, [x]: Input[], attrs: Attributes): Value[] {
  let pool = POOLS.get(attrs);
  if (!pool) {
    pool = planPool(attrs).pool!;
    POOLS.set(attrs, pool);
  }
  if (x === undefined) throw new Error(`${ctx.node}: input X is missing`);
  const byStrings = attrs.pool_strings !== undefined;
  let items: readonly (string | number)[];
  if (byStrings) items = stringsOf(ctx, x, 'X', 'pool_strings needs a string tensor').data;
  else {
    if (isStrings(x)) throw new Error(`${ctx.node}: input X is a string tensor; pool_int64s needs integers`);
    const h = hostOf(ctx, x, 'X');
    if (!isIntegerDType(h.dtype)) throw new Error(`${ctx.node}: input X is ${h.dtype}; TfIdfVectorizer takes int32, int64 or string tensors`);
    items = Array.from(h.data);
  }
  const shape = [...x.shape];
  if (shape.length > 2) throw new Error(`${ctx.node}: input X must be [C] or [N, C], got [${shape}]`);
  const rows = shape.length === 2 ? shape[0]! : 1;
  const width = shape.length === 0 ? 1 : shape.at(-1)!;
  const [min, max] = [attrNumber(attrs, 'min_gram_length', 1), attrNumber(attrs, 'max_gram_length', 1)];
  const skip = attrNumber(attrs, 'max_skip_count', 0);
  const indexes = attrInts(attrs, 'ngram_indexes')!;
  const { ids, columns } = pool;
  // Counts per row and n-gram of the pool.
  const counts = new Array<number>(rows * indexes.length).fill(0);
  const count = (row: number, gram: readonly (string | number)[]) => {
    const id = ids.get(ngramKey(gram));
    if (id !== undefined) counts[row * indexes.length + id]!++;
  };
  for (let r = 0; r < rows; r++) {
    const row = items.slice(r * width, (r + 1) * width);
    let first = min;
    if (first === 1) {
      for (const item of row) count(r, [item]);
      first = 2;
    }
    if (first > max) continue;
    for (let distance = 1; distance <= skip + 1; distance++) {
      for (let start = 0; start + distance * (first - 1) < row.length; start++) {
        const gram: (string | number)[] = [];
        for (let n = 1, at = start; n <= max && at < row.length; n++, at += distance) {
          gram.push(row[at]!);
          if (n >= first) count(r, gram);
        }
      }
    }
  }
  // The i-th n-gram of the pool weighs weights[i] and lands in column ngram_indexes[i]; n-grams sharing a column add up.
  const mode = attrString(attrs, 'mode', 'TF');
  const weights = attrs.weights as number[] | undefined;
  const out = new Float32Array(rows * columns);
  counts.forEach((c, k) => {
    const id = k % indexes.length;
    const w = weights ? weights[id]! : 1;
    out[Math.floor(k / indexes.length) * columns + indexes[id]!]! += mode === 'TF' ? c : mode === 'IDF' ? (c > 0 ? w : 0) : c * w;
  });
  return [new Host('float32', shape.length === 2 ? [rows, columns] : [columns], out)];
}

/** Python's str.isspace characters: StringSplit's whitespace (ONNX's reference splits with numpy's str.split). */
const WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACES = new RegExp(`[${WHITESPACE}]+`, 'u');
const EDGE_SPACES = new RegExp(`^[${WHITESPACE}]+|[${WHITESPACE}]+$`, 'gu');

/** StringSplit of one string: on `delimiter`, or (none or '') on whitespace runs with the ends trimmed; at most `maxsplit` splits. */
function splitString(s: string, delimiter: string, maxsplit: number): string[] {
  const whitespace = delimiter === '';
  let rest = whitespace ? s.replace(EDGE_SPACES, '') : s;
  // As onnxruntime: an empty string holds no substrings, whatever the delimiter.
  if (rest === '') return [];
  const parts: string[] = [];
  while (parts.length < maxsplit) {
    const at = whitespace ? SPACES.exec(rest) : null;
    const index = whitespace ? (at ? at.index : -1) : rest.indexOf(delimiter);
    if (index < 0) break;
    parts.push(rest.slice(0, index));
    rest = rest.slice(index + (whitespace ? at![0].length : delimiter.length));
  }
  parts.push(rest);
  return parts;
}

/** RE2's POSIX classes, as the ranges they stand for inside a JS class. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7f', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f', digit: '0-9', graph: '!-~', lower: 'a-z',
  print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/** RE2's Perl classes: ASCII, and \s without \v (JS's \s is Unicode's white space). */
const PERL_CLASSES: Record<string, [string, boolean]> = { d: ['0-9', false], D: ['0-9', true], s: ['\\t\\n\\f\\r ', false], S: ['\\t\\n\\f\\r ', true], w: ['0-9A-Za-z_', false], W: ['0-9A-Za-z_', true] };

/** A character as a Unicode-mode escape, literal anywhere in a JS pattern. */
const literal = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/**
 * An RE2 pattern as a JS RegExp source (Unicode mode) that matches the same strings: RE2's `.`
 * (all but \n), `^`/`$` (the text's edges; lines ending at \n under (?m)), \A, \z, \Q...\E,
 * POSIX and Perl classes (ASCII), \pN and \p{Script}, (?P<name>...), octal and \x{...} escapes,
 * a `]` first in a class and a brace that starts no repetition as literals. What RE2 rejects
 * (backreferences, lookaround) and what a JS RegExp cannot say the same way (ungreedy mode,
 * flags past the start, \C and other escapes it lacks) is refused with the reason.
 */
export function re2ToJs(pattern: string): { source: string; flags: string } {
  let i = 0;
  let flags = 'u';
  let dotAll = false;
  let multiline = false;
  // Flags for the whole pattern: (?ims) at its start.
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    if (lead[1]!.includes('U')) throw new Error('the ungreedy flag (?U) is not supported');
    if (lead[1]!.includes('i')) flags += 'i';
    dotAll = lead[1]!.includes('s');
    multiline = lead[1]!.includes('m');
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  let classStart = false;
  // \pL, \p{Lu}, \p{Greek}, \p{^Greek}, from just after the p or P.
  const property = (negated: boolean): string => {
    let name: string;
    if (pattern[i] === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new Error('an unterminated \\p{...}');
      name = pattern.slice(i + 1, end);
      i = end + 1;
    } else name = pattern[i++] ?? '';
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    const general = /^(?:[LMNPSZC][a-z]?|Any)$/.test(name);
    return `\\${negated ? 'P' : 'p'}{${general ? name : `Script=${name}`}}`;
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    const wasStart = classStart;
    classStart = false;
    if (c === '\\') {
      const e = pattern[i + 1];
      i += 2;
      if (e === undefined) throw new Error('a trailing backslash');
      if (e === 'Q') {
        const end = pattern.indexOf('\\E', i);
        out += Array.from(pattern.slice(i, end < 0 ? undefined : end), literal).join('');
        i = end < 0 ? pattern.length : end + 2;
      } else if (e in PERL_CLASSES) {
        const [set, negated] = PERL_CLASSES[e]!;
        if (inClass && negated) throw new Error(`\\${e} inside a character class is not supported`);
        out += inClass ? set : `[${negated ? '^' : ''}${set}]`;
      } else if (e === 'p' || e === 'P') out += property(e === 'P');
      else if (e === 'x') {
        const m = pattern[i] === '{' ? /^\{([0-9A-Fa-f]+)\}/.exec(pattern.slice(i)) : /^([0-9A-Fa-f]{2})/.exec(pattern.slice(i));
        if (!m) throw new Error('a malformed \\x escape');
        out += `\\u{${m[1]}}`;
        i += m[0].length;
      } else if (e === '0' || (/[1-7]/.test(e) && /[0-7]/.test(pattern[i] ?? ''))) {
        // Octal: \0 and up to two more digits, or two or three digits from \1 (one digit alone would be a backreference).
        const digits = /^[0-7]{0,2}/.exec(pattern.slice(i))![0];
        out += `\\u{${parseInt(e + digits, 8).toString(16)}}`;
        i += digits.length;
      } else if (/[1-9]/.test(e)) throw new Error(`backreference \\${e} is not supported (RE2 has none)`);
      else if (!inClass && (e === 'A' || e === 'z')) out += e === 'A' ? '(?<![\\s\\S])' : '(?![\\s\\S])';
      else if (!inClass && (e === 'b' || e === 'B')) out += `\\${e}`;
      else if ('fnrtv'.includes(e)) out += `\\${e}`;
      else if (e === 'a') out += '\\x07';
      else if (/[A-Za-z0-9_]/.test(e)) throw new Error(`escape \\${e} is not supported`);
      else out += literal(e);
      continue;
    }
    if (inClass) {
      const posix = c === '[' ? /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i)) : null;
      if (posix && POSIX_CLASSES[posix[2]!] !== undefined) {
        if (posix[1]) throw new Error(`the negated class [:^${posix[2]}:] is not supported`);
        out += POSIX_CLASSES[posix[2]!];
        i += posix[0].length;
        continue;
      }
      if (c === ']' && wasStart) out += '\\]'; // RE2 takes a ] first in a class as a literal
      else if (c === '[') out += '\\[';
      else {
        if (c === ']') inClass = false;
        if (c === '^' && wasStart && pattern[i - 1] === '[') classStart = true;
        out += c;
      }
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      classStart = true;
      out += c;
      i++;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (/^(?:[=!]|<[=!])/.test(rest)) throw new Error('lookaround (?=, (?!, (?<=, (?<! is not supported (RE2 has none)');
      if (rest.startsWith('P=')) throw new Error('backreference (?P=name) is not supported (RE2 has none)');
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 3;
      } else if (rest.startsWith('P<') || rest.startsWith('<')) {
        out += '(?<';
        i += rest.startsWith('P<') ? 4 : 3;
      } else throw new Error(`flags ${pattern.slice(i, i + 5)}... other than at the start of the pattern are not supported`);
    } else if (c === '.') {
      out += dotAll ? '[\\s\\S]' : '[^\\n]';
      i++;
    } else if (c === '^' || c === '$') {
      // Without (?m), JS's ^ and $ are the text's edges as RE2's; with it, RE2's lines end only at \n.
      out += multiline ? (c === '^' ? '(?<![^\\n])' : '(?![^\\n])') : c;
      i++;
    } else if (c === '{' || c === '}') {
      // A brace that starts no repetition is a literal in RE2.
      const m = c === '{' ? /^\{\d+(?:,\d*)?\}/.exec(pattern.slice(i)) : null;
      out += m ? m[0] : `\\${c}`;
      i += m ? m[0].length : 1;
    } else {
      out += c;
      i++;
    }
  }
  if (inClass) throw new Error('an unterminated character class');
  return { source: out, flags };
}

/** RegexFullMatch's pattern as a RegExp of the whole string, or the reason it is refused. */
function fullMatcher(pattern: string): RegExp | string {
  try {
    const { source, flags } = re2ToJs(pattern);
    return new RegExp(`^(?:${source})$`, flags);
  } catch (e) {
    return `pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`;
  }
}

const base = shapeOps;

export const stringOps: Record<string, StringOpSpec> = {
  Identity: onPositions(base.Identity!, ['input'], [0]),
  Reshape: onPositions(base.Reshape!, ['data', 'shape'], [0]),
  Flatten: onPositions(base.Flatten!, ['input'], [0]),
  Squeeze: onPositions(base.Squeeze!, ['data', 'axes'], [0]),
  Unsqueeze: onPositions(base.Unsqueeze!, ['data', 'axes'], [0]),
  Transpose: onPositions(base.Transpose!, ['data'], [0]),
  Concat: onPositions(base.Concat!, null, 'all'),
  Slice: onPositions(base.Slice!, ['data', 'starts', 'ends', 'axes', 'steps'], [0]),
  Gather: onPositions(base.Gather!, ['data', 'indices'], [0]),
  Where: onPositions(elementwiseOps.Where!, ['condition', 'X', 'Y'], [1, 2]),
  Shape: onPositions(base.Shape!, ['data'], [0], false),
  Size: onPositions(base.Size!, ['data'], [0], false),
  // String equality (ONNX defines it from opset 19): equal strings get equal codes, compared on the host.
  Equal: alsoStrings(elementwiseOps.Equal!, (ctx, [a, b], attrs) => {
    const [x, y] = [stringsOf(ctx, a, 'A', 'both inputs must be strings'), stringsOf(ctx, b, 'B', 'both inputs must be strings')];
    const codes = new Map<string, number>();
    const code = (s: StringTensor) => new Host('int64', [...s.shape], s.data.map((v) => codes.get(v) ?? codes.set(v, codes.size).get(v)!));
    return elementwiseOps.Equal!.run(ctx, [code(x), code(y)], attrs);
  }),
  Expand: alsoStrings(base.Expand!, (ctx, [x, s]) => {
    const data = stringsOf(ctx, x, 'input');
    const target = intsOf(ctx, numeric(ctx, s, 'shape'), 'shape');
    // Both ways, as the numeric Expand: a 1 in the target keeps the input's dim.
    const shape = broadcastShapes(data.shape, target);
    if (!shape) throw new Error(`${ctx.node}: input of shape [${data.shape}] does not expand to [${target}]`);
    return [pick(ctx, new Host('int64', shape, broadcastData(positions(data), shape)), data.data)];
  }),
  Split: alsoStrings(base.Split!, (ctx, [x, splitInput], attrs) => {
    const data = stringsOf(ctx, x, 'input');
    const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), data.rank);
    const n = data.shape[axis]!;
    const given = splitInput !== undefined ? intsOf(ctx, numeric(ctx, splitInput, 'split'), 'split') : attrInts(attrs, 'split');
    const size = Math.ceil(n / (attrNumber(attrs, 'num_outputs', 0) || ctx.outputs));
    const sizes = given ?? Array.from({ length: Math.ceil(n / size) }, (_, i) => Math.min(size, n - i * size));
    if (sizes.some((d) => d < 0) || sizes.reduce((a, b) => a + b, 0) !== n) throw new Error(`${ctx.node}: split sizes [${sizes}] must be non-negative and sum to axis ${axis}'s ${n}`);
    const p = positions(data);
    let start = 0;
    return sizes.map((d) => pick(ctx, hostSlice(p, axis, start, (start += d), 1), data.data));
  }),
  Tile: alsoStrings(base.Tile!, (ctx, [x, r]) => {
    const data = stringsOf(ctx, x, 'input');
    const repeats = intsOf(ctx, numeric(ctx, r, 'repeats'), 'repeats');
    if (repeats.length !== data.rank || repeats.some((k) => k < 0)) throw new Error(`${ctx.node}: repeats [${repeats}] must hold one non-negative count per dim of input [${data.shape}]`);
    let p = positions(data);
    // Each axis repeated in turn: its positions gathered 0..n-1 `repeats` times over.
    repeats.forEach((k, axis) => {
      const n = p.shape[axis]!;
      p = hostGather(p, axis, Host.vector('int64', Array.from({ length: n * k }, (_, i) => i % n)));
    });
    return [pick(ctx, p, data.data)];
  }),
  Compress: alsoStrings(base.Compress!, (ctx, [x, c], attrs) => {
    const data = stringsOf(ctx, x, 'input');
    let p = positions(data);
    if (attrs.axis === undefined) p = new Host('int64', [p.size], p.data);
    const axis = axisOf(ctx, attrNumber(attrs, 'axis', 0), p.shape.length);
    const condition = hostOf(ctx, numeric(ctx, c, 'condition'), 'condition').data;
    const picked: number[] = [];
    for (let i = 0; i < condition.length; i++) if (condition[i]) picked.push(i);
    if (picked.length && picked.at(-1)! >= p.shape[axis]!) throw new Error(`${ctx.node}: condition selects index ${picked.at(-1)} of an axis of ${p.shape[axis]}`);
    return [pick(ctx, hostGather(p, axis, Host.vector('int64', picked)), data.data)];
  }),
  Constant: {
    strings: true,
    attributes: [...base.Constant!.attributes, 'value_string', 'value_strings'],
    check: (attrs) => (Object.keys(attrs).length === 1 ? [] : ['needs exactly one of value, value_float(s), value_int(s), value_string(s)']),
    run(ctx, inputs, attrs) {
      const v = Object.values(attrs)[0]!;
      if (v instanceof StringTensor) return [v];
      if ('value_string' in attrs) return [new StringTensor([attrs.value_string as string], [])];
      if ('value_strings' in attrs) return [new StringTensor(attrs.value_strings as string[])];
      return base.Constant!.run(ctx, inputs as (Value | undefined)[], attrs);
    },
  },
  Cast: {
    strings: true,
    attributes: base.Cast!.attributes,
    check: (attrs, opset) => (attrs.to === STRING_TYPE ? [] : base.Cast!.check!(attrs, opset)),
    run(ctx, [x], attrs) {
      const to = attrs.to as number;
      if (to === STRING_TYPE || isStrings(x)) return castStrings(ctx, x, to);
      return base.Cast!.run(ctx, [x], attrs);
    },
  },
  CastLike: {
    strings: true,
    attributes: [],
    run(ctx, [x, like], attrs) {
      if (like === undefined) throw new Error(`${ctx.node}: input target_type is missing`);
      if (!isStrings(x) && !isStrings(like)) return base.CastLike!.run(ctx, [x, like], attrs);
      const to = isStrings(like) ? STRING_TYPE : TYPE_CODES[(like as Value).dtype];
      if (to === undefined) throw new Error(`${ctx.node}: target_type of dtype ${(like as Value).dtype} is not supported`);
      return castStrings(ctx, x, to);
    },
  },
  // Opset 20's string operators, on the host.
  StringConcat: {
    strings: true,
    attributes: [],
    run(ctx, [a, b]) {
      const [x, y] = [stringsOf(ctx, a, 'X'), stringsOf(ctx, b, 'Y')];
      const shape = broadcastShapes(x.shape, y.shape);
      if (!shape) throw new Error(`${ctx.node}: X [${x.shape}] and Y [${y.shape}] do not broadcast`);
      const [i, j] = [broadcastData(positions(x), shape), broadcastData(positions(y), shape)];
      return [new StringTensor(i.map((k, n) => x.data[k]! + y.data[j[n]!]!), shape)];
    },
  },
  StringSplit: {
    strings: true,
    attributes: ['delimiter', 'maxsplit'],
    outputs: 2,
    run(ctx, [v], attrs) {
      const x = stringsOf(ctx, v, 'X');
      const parts = x.data.map((s) => splitString(s, attrString(attrs, 'delimiter', ''), attrNumber(attrs, 'maxsplit', Infinity)));
      // Y: every element's substrings, padded with empty strings to the most any has; Z: how many each has.
      const width = Math.max(0, ...parts.map((p) => p.length));
      const padded = parts.flatMap((p) => [...p, ...new Array<string>(width - p.length).fill('')]);
      return [new StringTensor(padded, [...x.shape, width]), new Host('int64', [...x.shape], parts.map((p) => p.length))];
    },
  },
  RegexFullMatch: {
    strings: true,
    attributes: ['pattern'],
    check: (attrs) => {
      if (typeof attrs.pattern !== 'string') return ['attribute pattern is missing'];
      const m = fullMatcher(attrs.pattern);
      return typeof m === 'string' ? [m] : [];
    },
    run(ctx, [v], attrs) {
      const x = stringsOf(ctx, v, 'X');
      const re = fullMatcher(attrString(attrs, 'pattern', '')) as RegExp;
      return [new Host('bool', [...x.shape], x.data.map((s) => (re.test(s) ? 1 : 0)))];
    },
  },
  StringNormalizer: {
    strings: true,
    attributes: ['case_change_action', 'is_case_sensitive', 'locale', 'stopwords'],
    check: checkStringNormalizer,
    run(ctx, [x], attrs) {
      const input = stringsOf(ctx, x, 'X');
      const rows = input.rank === 2 ? input.shape[0] : undefined;
      if (!(input.rank === 1 || (input.rank === 2 && rows === 1))) throw new Error(`${ctx.node}: input X must be [C] or [1, C], got [${input.shape}]`);
      const action = attrString(attrs, 'case_change_action', 'NONE');
      const locale = localeTag(attrString(attrs, 'locale', 'en_US'));
      const sensitive = attrNumber(attrs, 'is_case_sensitive', 0) !== 0;
      // Without case sensitivity, words and stopwords compare in the case the output takes (lower for NONE).
      const compare = (s: string) => (sensitive ? s : changeCase(s, action === 'UPPER', locale));
      const stopwords = new Set(((attrs.stopwords as string[] | undefined) ?? []).map(compare));
      const kept = input.data.filter((s) => !stopwords.has(compare(s)));
      const out = action === 'NONE' ? kept : kept.map((s) => changeCase(s, action === 'UPPER', locale));
      // Nothing left: one empty string, [1] or [1, 1], as the spec says.
      const data = out.length ? out : [''];
      return [new StringTensor(data, input.rank === 2 ? [1, data.length] : [data.length])];
    },
  },
  TfIdfVectorizer: {
    strings: true,
    attributes: ['max_gram_length', 'max_skip_count', 'min_gram_length', 'mode', 'ngram_counts', 'ngram_indexes', 'pool_int64s', 'pool_strings', 'weights'],
    check: (attrs) => planPool(attrs).problems,
    run: tfIdf,
  },
};
