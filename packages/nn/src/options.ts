/**
 * Option checking shared by the layers and `functional` (internal): an option Tensile does
 * not know is an error that names it, never silently ignored.
 */

/** PyTorch's keyword arguments that Tensile deliberately does not take, with the reason. */
const REFUSED: Record<string, string> = {
  inplace: 'Tensile values are immutable, so there is no in-place variant; drop the option',
  size_average: "size_average is deprecated in PyTorch; use reduction: 'mean' or 'sum'",
  sizeAverage: "size_average is deprecated in PyTorch; use reduction: 'mean' or 'sum'",
  reduce: "reduce is deprecated in PyTorch; use reduction: 'none'",
  device: 'create the layer, then move it with module.to(device)',
  dtype: 'create the layer, then convert it with module.to(dtype)',
};

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Throw unless `options` is undefined or a plain object whose keys (with a defined value)
 * are all in `allowed`. The message names the unknown key, suggests the camelCase spelling
 * of a snake_case one, and lists what is supported.
 */
export function checkOptions(op: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `${op}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : `${typeof options} ${String(options)}`}`,
    );
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || allowed.includes(key)) continue;
    let hint = '';
    if (REFUSED[key]) hint = `; ${REFUSED[key]}`;
    else if (key.includes('_') && allowed.includes(camel(key))) hint = `; options are camelCase: ${camel(key)}`;
    throw new Error(`${op}: unknown option '${key}'${hint}; supported: ${allowed.join(', ') || 'none'}`);
  }
}

/** Throw unless `value` is one of `choices`. */
export function checkChoice<T extends string>(op: string, name: string, value: unknown, choices: readonly T[]): asserts value is T {
  if (!choices.includes(value as T)) {
    throw new Error(`${op}: ${name} must be ${choices.map((c) => `'${c}'`).join(', ')}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  }
}

/** Throw unless `value` is a finite number (plain-JavaScript callers may pass anything). */
export function checkNumber(op: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${op}: ${name} must be a number, got ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
}

/** Throw unless `value` is a positive integer. */
export function checkPositiveInt(op: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${op}: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

/** Throw unless `value` is a boolean. */
export function checkBoolean(op: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${JSON.stringify(value)}`);
}

/** The reductions every loss takes. */
export const REDUCTIONS = ['mean', 'sum', 'none'] as const;
