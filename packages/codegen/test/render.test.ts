import { describe, expect, it } from 'vitest';
import { renderAssemblyScript, renderCudaHeader, upperSnake } from '../src/render.js';

describe('renderers', () => {
  it('spell names in upper snake case', () => {
    expect(upperSnake('logicalNot')).toBe('LOGICAL_NOT');
    expect(upperSnake('inCPerGroup')).toBe('IN_C_PER_GROUP');
    expect(upperSnake('argmax')).toBe('ARGMAX');
  });

  it('give wasm every op code and the word of each layout field', () => {
    const text = renderAssemblyScript({ conv: [['batch', 1], ['xStrides', 4], ['scale', 1, 'float']] });
    expect(text).toContain('export const UNARY_LOGICAL_NOT: i32 = 19;');
    expect(text).toContain('export const BINARY_LOGICAL_OR: i32 = 14;');
    expect(text).toContain('export const REDUCE_MIN: i32 = 3;');
    expect(text).toContain('export const DTYPE_BOOL: i32 = 2;');
    expect(text).toContain('export const CONV_X_STRIDES: i32 = 1;');
    expect(text).toContain('export const CONV_SCALE: i32 = 5;');
    expect(text).toContain('export const CONV_WORDS: i32 = 6;');
  });

  it('give cuda X-macro lists and argument structs with arrays and kinds', () => {
    const text = renderCudaHeader({ P: [['n', 1], ['strides', [4, 8]], ['ptr', 4, 'pointer'], ['scalar', 1, 'float']] }, { maxDims: 8 });
    expect(text).toContain('#define TL_UNARY_OPS(X) \\\n  X(neg, 0) \\\n  X(abs, 1) \\');
    expect(text).toContain('  X(logicalNot, 19) \\\n');
    expect(text).toContain('#define TL_MAX_DIMS 8');
    expect(text).toContain('struct P {\n  int64_t n;\n  int64_t strides[4][8];\n  uint64_t ptr[4];\n  double scalar;\n};');
  });
});
