/** Conversions between nested JavaScript arrays and flat typed arrays. */
import type { AnyTypedArray, DType } from '../dtype.js';

export type NestedArray = number | boolean | NestedArray[];

/** Shape of nested arrays, or an error naming the first ragged dim. */
export function inferShape(data: unknown, op = 'tensor'): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level) || ArrayBuffer.isView(level)) {
    const length = (level as ArrayLike<unknown>).length;
    shape.push(length);
    if (length === 0) break;
    level = (level as ArrayLike<unknown>)[0];
  }
  checkRagged(data, shape, 0, op);
  return shape;
}

function checkRagged(data: unknown, shape: number[], depth: number, op: string): void {
  if (depth === shape.length) {
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new TypeError(`${op}: expected a number or boolean at depth ${depth}, got ${describe(data)}`);
    }
    return;
  }
  const items = data as ArrayLike<unknown>;
  if (!(Array.isArray(items) || ArrayBuffer.isView(items)) || items.length !== shape[depth]) {
    throw new Error(
      `${op}: ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${describe(data)}`,
    );
  }
  if (ArrayBuffer.isView(items) && depth === shape.length - 1) return;
  for (let i = 0; i < items.length; i++) checkRagged(items[i], shape, depth + 1, op);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a typed array of length ${(value as unknown as ArrayLike<number>).length}`;
  return value === null ? 'null' : typeof value;
}

/** Flatten nested arrays (already shape-checked) into `out`. */
export function flattenInto(data: unknown, out: AnyTypedArray): void {
  let i = 0;
  const visit = (value: unknown): void => {
    if (typeof value === 'number') out[i++] = value;
    else if (typeof value === 'boolean') out[i++] = value ? 1 : 0;
    else for (let j = 0; j < (value as ArrayLike<unknown>).length; j++) visit((value as ArrayLike<unknown>)[j]);
  };
  visit(data);
}

/** Rebuild nested arrays of `shape` from row-major `data`. */
export function toNested(data: AnyTypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const convert = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return convert(data[0]);
  let index = 0;
  const build = (depth: number): NestedArray[] => {
    const out: NestedArray[] = new Array(shape[depth]);
    for (let i = 0; i < shape[depth]; i++) {
      out[i] = depth === shape.length - 1 ? convert(data[index++]) : build(depth + 1);
    }
    return out;
  };
  return build(0);
}
