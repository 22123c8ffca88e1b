// Random operators, drawn from Tensile's RNG. float outputs only.
import type { Tensor } from '@tensile/core';
import type { Value } from '../value.js';
import { type Attributes, type OpContext, type OpSpec, attrInts, attrNumber, deviceOf, one, only, shapeOf, tensorOf, tl } from './context.js';

/** Each seeded node's stream, made when it first runs. */
const streams = new WeakMap<Attributes, tl.Generator>();

/**
 * A node with a seed draws from a stream of its own, as in onnxruntime: each load of the model
 * gives the same numbers, and each run goes on where the last stopped. ONNX's seed is a float:
 * its float32 bits seed the stream.
 */
function generatorOf(attrs: Attributes): tl.Generator | undefined {
  if (typeof attrs.seed !== 'number') return undefined;
  let g = streams.get(attrs);
  if (!g) streams.set(attrs, (g = new tl.Generator(new Uint32Array(Float32Array.of(attrs.seed).buffer)[0]!)));
  return g;
}

const checkDType = (attrs: Attributes): string[] => only(attrs, 'dtype', [1]);

/** The shape and device of a *Like op's output; without a dtype attribute, the input's type must be float. */
function like(ctx: OpContext, x: Value | undefined, attrs: Attributes): { shape: number[]; device: string } {
  if (x === undefined) throw new Error(`${ctx.node}: input input is missing`);
  if (attrs.dtype === undefined && x.dtype !== 'float32') throw new Error(`${ctx.node}: the output takes the input's type, ${x.dtype}; only float is supported (set dtype=1)`);
  return { shape: shapeOf(x), device: deviceOf(ctx, [x]) };
}

function normal(shape: number[], device: string, attrs: Attributes): Tensor {
  return tl.normal(attrNumber(attrs, 'mean', 0), attrNumber(attrs, 'scale', 1), shape, { device, generator: generatorOf(attrs) });
}

function uniform(shape: number[], device: string, attrs: Attributes): Tensor {
  const low = attrNumber(attrs, 'low', 0);
  return tl.rand(shape, { device, generator: generatorOf(attrs) }).mul(attrNumber(attrs, 'high', 1) - low).add(low);
}

/** RandomNormal and RandomUniform: the shape is an attribute. */
function fromShape(attributes: string[], draw: typeof normal): OpSpec {
  return {
    attributes: ['dtype', 'seed', 'shape', ...attributes],
    check: (attrs) => [...checkDType(attrs), ...(attrInts(attrs, 'shape') ? [] : ['attribute shape is missing'])],
    run: (ctx, _inputs, attrs) => one(draw(attrInts(attrs, 'shape')!, ctx.device, attrs)),
  };
}

/** RandomNormalLike and RandomUniformLike: the shape is the input's. */
function fromInput(attributes: string[], draw: typeof normal): OpSpec {
  return {
    attributes: ['dtype', 'seed', ...attributes],
    check: checkDType,
    run(ctx, [x], attrs) {
      const { shape, device } = like(ctx, x, attrs);
      return one(draw(shape, device, attrs));
    },
  };
}

export const randomOps: Record<string, OpSpec> = {
  RandomNormal: fromShape(['mean', 'scale'], normal),
  RandomUniform: fromShape(['low', 'high'], uniform),
  RandomNormalLike: fromInput(['mean', 'scale'], normal),
  RandomUniformLike: fromInput(['low', 'high'], uniform),
  // Multinomial's input holds unnormalised log probabilities; the draws are with replacement.
  Multinomial: {
    attributes: ['dtype', 'sample_size', 'seed'],
    check: (attrs) => only(attrs, 'dtype', [6, 7]),
    run(ctx, [x], attrs) {
      const logits = tensorOf(ctx, x, 'input');
      if (logits.rank !== 2) throw new Error(`${ctx.node}: input must be [batch_size, class_size], got [${logits.shape}]`);
      return one(tl.multinomial(tl.softmax(logits, -1), attrNumber(attrs, 'sample_size', 1), true, { generator: generatorOf(attrs) }));
    },
  },
  Bernoulli: {
    attributes: ['dtype', 'seed'],
    check: checkDType,
    run(ctx, [x], attrs) {
      like(ctx, x, attrs);
      return one(tl.bernoulli(tensorOf(ctx, x, 'input'), undefined, { generator: generatorOf(attrs) }));
    },
  },
};
