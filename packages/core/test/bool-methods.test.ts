/**
 * The methods typed to return BoolTensor (tensor.ts's BoolOp) are exactly the op table's
 * compare and logical ops, and at run time those ops do write bool.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { BINARY_OPS, BINARY_TABLE, UNARY_OPS, UNARY_TABLE } from '../src/backend/op-table.js';
import type { BoolOp } from '../src/tensor/tensor.js';

type Table = typeof UNARY_TABLE & typeof BINARY_TABLE;
type TableBoolOp = { [K in keyof Table]: Table[K]['kind'] extends 'compare' | 'logical' ? K : never }[keyof Table];

describe('BoolTensor-typed methods', () => {
  it('are the compare and logical ops of the op table', () => {
    expectTypeOf<BoolOp>().toEqualTypeOf<TableBoolOp>();
    const fromTable = [...UNARY_OPS.filter((op) => ['compare', 'logical'].includes(UNARY_TABLE[op].kind)),
      ...BINARY_OPS.filter((op) => ['compare', 'logical'].includes(BINARY_TABLE[op].kind))];
    expect(fromTable.sort()).toEqual([
      'eq', 'ge', 'gt', 'isfinite', 'isinf', 'isnan', 'isneginf', 'isposinf', 'le',
      'logicalAnd', 'logicalNot', 'logicalOr', 'logicalXor', 'lt', 'ne',
    ]);
  });
});
