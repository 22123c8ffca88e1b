/** `nn.utils.summary`: a torchinfo-style table of a model's layers, output shapes and parameter counts. */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { Module } from '../module.js';

/** Options of `summary`. */
export interface SummaryOptions {
  /**
   * Shape of one input (or one shape per positional input): `summary` then runs a forward
   * pass on zeros (in evaluation mode, without recording a graph) to report each layer's
   * output shape.
   */
  inputSize?: number[] | number[][];
  /** Deepest nesting level to list (default 3, as torchinfo). */
  depth?: number;
}

interface Row {
  label: string;
  shape: string;
  params: number;
}

function shapeOf(value: unknown): string {
  if (value instanceof tl.Tensor) return `[${value.shape.join(', ')}]`;
  if (Array.isArray(value)) return value.map(shapeOf).join(', ');
  return '--';
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * A table of `model`'s layers (depth first, indented by nesting, as torchinfo's
 * `Layer (type:depth-idx)`), each layer's own parameter count (its children's excluded) and,
 * with `inputSize`, its output shape; then the total, trainable and non-trainable counts.
 *
 * @example
 * ```ts
 * console.log(nn.utils.summary(model, { inputSize: [1, 3, 32, 32] }));
 * // Layer (type:depth-idx)        Output Shape        Param #
 * // Net                           [1, 10]             --
 * // ├─Conv2d: 1-1                 [1, 6, 28, 28]      456
 * // ...
 * ```
 */
export function summary(model: Module, options: SummaryOptions = {}): string {
  if (!(model instanceof Module)) throw new TypeError(`summary: expected a Module, got ${model === null ? 'null' : typeof model}`);
  for (const k of Object.keys(options)) {
    if (k !== 'inputSize' && k !== 'depth') throw new Error(`summary: unknown option '${k}'; supported: inputSize, depth`);
  }
  const depth = options.depth ?? 3;
  if (!Number.isInteger(depth) || depth < 0) throw new Error(`summary: depth must be a non-negative integer, got ${depth}`);
  const shapes = new Map<Module, string>();
  if (options.inputSize !== undefined) {
    const sizes = Array.isArray(options.inputSize[0]) ? (options.inputSize as number[][]) : [options.inputSize as number[]];
    const device = model.parameters()[0]?.device;
    const handles = model.modules().map((m) =>
      m.registerForwardHook((mod: Module, _args: unknown[], output: unknown) => {
        shapes.set(mod, shapeOf(output));
      }),
    );
    // In evaluation mode, so the pass leaves running statistics alone; modes restored after.
    const modes = model.modules().map((m) => [m, m.training] as const);
    model.eval();
    try {
      tl.noGrad(() =>
        tl.tidy(() => {
          model.forward(...sizes.map((s) => tl.zeros(s, { device })));
        }),
      );
    } finally {
      for (const h of handles) h.remove();
      for (const [m, mode] of modes) m.training = mode;
    }
  }
  const rows: Row[] = [];
  const visit = (m: Module, label: string, level: number) => {
    const own = m.parameters(false).reduce((n, p: Tensor) => n + p.size, 0);
    rows.push({ label, shape: shapes.get(m) ?? '--', params: own });
    if (level >= depth) return;
    const children = m.namedChildren();
    children.forEach(([, child], i) => {
      const prefix = `${'│    '.repeat(level)}${i === children.length - 1 ? '└─' : '├─'}`;
      visit(child, `${prefix}${child.constructor.name}: ${level + 1}-${i + 1}`, level + 1);
    });
  };
  visit(model, model.constructor.name, 0);
  const total = model.numParameters();
  const trainable = model.numParameters(true);
  const w1 = Math.max(30, ...rows.map((r) => r.label.length + 2));
  const w2 = Math.max(20, ...rows.map((r) => r.shape.length + 2));
  const rule = '='.repeat(w1 + w2 + 12);
  const lines = [
    rule,
    `${pad('Layer (type:depth-idx)', w1)}${pad('Output Shape', w2)}Param #`,
    rule,
    ...rows.map((r) => `${pad(r.label, w1)}${pad(r.shape, w2)}${r.params ? count(r.params) : '--'}`),
    rule,
    `Total params: ${count(total)}`,
    `Trainable params: ${count(trainable)}`,
    `Non-trainable params: ${count(total - trainable)}`,
    rule,
  ];
  return lines.join('\n');
}
