/**
 * The cuda backend's generated header: op X-macro lists, dtype codes, the constants and
 * argument structs of packages/backend-cuda/src/params.ts, and the field lists the addon
 * reports its layouts from.
 */
import { layoutPlaces } from '@tensile/core';
// The backend's own declarations (a private tool may read them in place: codegen ships nothing).
import { DEVICE_CONSTANTS, LAYOUTS } from '../../backend-cuda/src/params.js';
import type { Output } from './outputs.js';
import { renderCudaHeader, type Layouts } from './render.js';

/** `TL_RECORDS(X)`: every struct; `TL_FIELDS_<Struct>(X)`: `X(Struct, field)` for each of its fields. */
export function renderFieldLists(layouts: Layouts): string {
  const lines = ['', '// Every argument struct, and each struct\'s fields (the addon reports sizeof/offsetof from these).'];
  lines.push(macro('TL_RECORDS(X)', Object.keys(layouts).map((name) => `X(${name})`)));
  for (const [name, layout] of Object.entries(layouts)) {
    lines.push(macro(`TL_FIELDS_${name}(X)`, Object.keys(layoutPlaces(layout).fields).map((f) => `X(${name}, ${f})`)));
  }
  return `${lines.join('\n')}\n`;
}

/** A multi-line `#define`, one entry per line. */
function macro(head: string, entries: readonly string[]): string {
  return [`#define ${head} \\`, ...entries.map((e, i) => `  ${e}${i < entries.length - 1 ? ' \\' : ''}`)].join('\n');
}

export const CUDA_OUTPUT: Output = {
  path: 'packages/backend-cuda/kernels/generated/ops.h',
  render: () => renderCudaHeader(LAYOUTS, DEVICE_CONSTANTS) + renderFieldLists(LAYOUTS),
};
