/**
 * The cuda backend's generated header: op X-macro lists, dtype codes, the constants and
 * argument structs of packages/backend-cuda/src/params.ts, the field lists the addon
 * reports its layouts from, and the (op, dtype) kernels the backend declares: every op in
 * its CUDA_UNARY_OPS/CUDA_BINARY_OPS (the primitives and the composites it accelerates) and
 * every reduce op, in each dtype the op table's rules send the kernel. The device code
 * instantiates one kernel per entry from a functor per op code, so a declared op without
 * its functor fails to compile.
 */
import {
  ARG_REDUCE_OPS, ARG_REDUCE_TABLE, BINARY_TABLE, binaryFacts, DTYPE_CODES, layoutPlaces, REDUCE_OPS, REDUCE_TABLE, reduceFacts,
  UNARY_TABLE, unaryFacts, type CoreDType,
} from '@tensile/core';
// The backend's own declarations (a private tool may read them in place: codegen ships nothing).
import { CUDA_BINARY_OPS, CUDA_UNARY_OPS } from '../../backend-cuda/src/kernels/elementwise.js';
import { dtypesSent } from '../../backend-cuda/src/kernels/launch.js';
import { ARG_REDUCE_DTYPES } from '../../backend-cuda/src/kernels/reduce.js';
import { DEVICE_CONSTANTS, LAYOUTS } from '../../backend-cuda/src/params.js';
import type { Output } from './outputs.js';
import { renderCudaHeader, type Layouts } from './render.js';

/** Each dtype's kernel-name suffix and C type in the cuda kernels. */
const CUDA_TYPES = {
  float32: { suffix: 'f32', type: 'float', name: 'F32' },
  int32: { suffix: 'i32', type: 'int', name: 'I32' },
  bool: { suffix: 'u8', type: 'uint8_t', name: 'Bool' },
} as const satisfies Record<CoreDType, { suffix: string; type: string; name: string }>;
const DTYPES = Object.keys(CUDA_TYPES) as CoreDType[];

/** A multi-line `#define`, one entry per line. */
function macro(head: string, entries: readonly string[]): string {
  if (entries.length === 0) return `#define ${head}`;
  return [`#define ${head} \\`, ...entries.map((e, i) => `  ${e}${i < entries.length - 1 ? ' \\' : ''}`)].join('\n');
}

/** `TL_RECORDS(X)`: every struct; `TL_FIELDS_<Struct>(X)`: `X(Struct, field)` for each of its fields. */
export function renderFieldLists(layouts: Layouts): string {
  const lines = ['', '// Every argument struct, and each struct\'s fields (the addon reports sizeof/offsetof from these).'];
  lines.push(macro('TL_RECORDS(X)', Object.keys(layouts).map((name) => `X(${name})`)));
  for (const [name, layout] of Object.entries(layouts)) {
    lines.push(macro(`TL_FIELDS_${name}(X)`, Object.keys(layoutPlaces(layout).fields).map((f) => `X(${name}, ${f})`)));
  }
  return `${lines.join('\n')}\n`;
}

/** `X(op, code, suffix, C type, dtype code)` for each op and each dtype its kernel takes. */
function kernelEntries(ops: readonly string[], code: (op: string) => number, dtypes: (op: string) => readonly CoreDType[]): string[] {
  return ops.flatMap((op) =>
    dtypes(op).map((d) => `X(${op}, ${code(op)}, ${CUDA_TYPES[d].suffix}, ${CUDA_TYPES[d].type}, ${DTYPE_CODES[d]})`),
  );
}

/** The dtype and kernel lists the cuda device code instantiates its kernels from. */
export function renderKernelLists(): string {
  type Op<T> = keyof T & string;
  const lines = [
    '',
    '// Every dtype by name: X(name, code).',
    macro('TL_DTYPE_CODES(X)', Object.entries(DTYPE_CODES).map(([name, code]) => `X(${name}, ${code})`)),
    '',
    '// The dtypes the kernels hold: X(suffix, C type, dtype code).',
    macro('TL_CUDA_DTYPES(X)', DTYPES.map((d) => `X(${CUDA_TYPES[d].suffix}, ${CUDA_TYPES[d].type}, ${DTYPE_CODES[d]})`)),
    '',
    '// Casts between them: X(symbol, from C type, from code, to C type, to code).',
    macro('TL_CUDA_CASTS(X)', DTYPES.flatMap((from) => DTYPES.filter((to) => to !== from).map((to) =>
      `X(castTo${CUDA_TYPES[to].name}_${CUDA_TYPES[from].suffix}, ${CUDA_TYPES[from].type}, ${DTYPE_CODES[from]}, ${CUDA_TYPES[to].type}, ${DTYPE_CODES[to]})`))),
    '',
    '// The kernels the backend launches, one per (op, input dtype): X(op, code, suffix, C type, dtype code).',
    '// Unary and binary: src/kernels/elementwise.ts CUDA_UNARY_OPS / CUDA_BINARY_OPS, in the dtypes the op table sends.',
    macro('TL_CUDA_UNARY_KERNELS(X)', kernelEntries(CUDA_UNARY_OPS, (op) => UNARY_TABLE[op as Op<typeof UNARY_TABLE>].code,
      (op) => dtypesSent(unaryFacts(op as Op<typeof UNARY_TABLE>)))),
    macro('TL_CUDA_BINARY_KERNELS(X)', kernelEntries(CUDA_BINARY_OPS, (op) => BINARY_TABLE[op as Op<typeof BINARY_TABLE>].code,
      (op) => dtypesSent(binaryFacts(op as Op<typeof BINARY_TABLE>)))),
    macro('TL_CUDA_REDUCE_KERNELS(X)', kernelEntries(REDUCE_OPS, (op) => REDUCE_TABLE[op as Op<typeof REDUCE_TABLE>].code,
      (op) => dtypesSent(reduceFacts(op as Op<typeof REDUCE_TABLE>)))),
    macro('TL_CUDA_ARG_REDUCE_KERNELS(X)', kernelEntries(ARG_REDUCE_OPS, (op) => ARG_REDUCE_TABLE[op as Op<typeof ARG_REDUCE_TABLE>].code,
      () => ARG_REDUCE_DTYPES)),
  ];
  return `${lines.join('\n')}\n`;
}

export const CUDA_OUTPUT: Output = {
  path: 'packages/backend-cuda/kernels/generated/ops.h',
  render: () => renderCudaHeader(LAYOUTS, DEVICE_CONSTANTS) + renderFieldLists(LAYOUTS) + renderKernelLists(),
};
