/** Element types. `float32` is the default; `bool` is stored as 0/1 bytes. */
export type DType = 'float32' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

export interface TypedArrayMap {
  float32: Float32Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArrayFor<D extends DType> = TypedArrayMap[D];
export type AnyTypedArray = Float32Array | Int32Array | Uint8Array;

export const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, int32: 4, bool: 1 };

/** A new zeroed host array for `size` elements of `dtype`. */
export function typedArrayFor<D extends DType>(dtype: D, size: number): TypedArrayFor<D> {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size) as TypedArrayFor<D>;
    case 'int32':
      return new Int32Array(size) as TypedArrayFor<D>;
    case 'bool':
      return new Uint8Array(size) as TypedArrayFor<D>;
  }
  throw new Error(`unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`);
}

/** Whether `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/** The dtype two operands promote to, as PyTorch: bool < int32 < float32. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float32';
}
