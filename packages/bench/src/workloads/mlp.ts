/**
 * One SGD training step of an MLP 784-512-256-10 (ReLU), batch 128, cross-entropy loss;
 * steps/s. Both libraries start from the same parameters and data, so their first losses
 * must agree.
 */
import { fanInUniform, integers, oneHot, uniform } from '../data.js';
import { tfTrainStep, tlTrainStep } from './train.js';
import { type Case, tfVariable, tlFrom } from './types.js';

const LAYERS = [784, 512, 256, 10];
const BATCH = 128;

export function mlpCases(): Case[] {
  return [
    {
      id: 'mlp/784-512-256-10-b128',
      family: 'mlp',
      title: 'MLP 784-512-256-10 b128 step',
      metric: { unit: 'steps/s', perRun: 1 },
      quick: true,
      tolerance: 1e-4,
      init() {
        const x = uniform(BATCH * LAYERS[0], 0, 1, 71);
        const labels = integers(BATCH, 10, 72);
        const layers = LAYERS.slice(1).map((out, i) => {
          const fanIn = LAYERS[i];
          return { shape: [fanIn, out], w: fanInUniform(fanIn * out, fanIn, 80 + i), b: fanInUniform(out, fanIn, 90 + i) };
        });
        return {
          tensile(tl, device) {
            const tx = tlFrom(tl, x, [BATCH, LAYERS[0]], device);
            const ty = tlFrom(tl, labels, [BATCH, 1], device);
            const ws = layers.map((l) => tlFrom(tl, l.w, l.shape, device, true));
            const bs = layers.map((l) => tlFrom(tl, l.b, [l.shape[1]], device, true));
            const logits = () => {
              let h = tx;
              ws.forEach((w, i) => {
                h = h.matmul(w).add(bs[i]);
                if (i < ws.length - 1) h = h.relu();
              });
              return h;
            };
            return tlTrainStep(tl, [...ws, ...bs], logits, ty, [tx, ty]);
          },
          peer(ctx) {
            const { tf } = ctx;
            const tx = tf.tensor2d(x, [BATCH, LAYERS[0]]);
            const ty = tf.tensor2d(oneHot(labels, 10), [BATCH, 10]);
            const ws = layers.map((l) => tfVariable(tf, tf.tensor2d(l.w, l.shape as [number, number])));
            const bs = layers.map((l) => tfVariable(tf, tf.tensor1d(l.b)));
            const logits = () => {
              let h = tx;
              ws.forEach((w, i) => {
                h = tf.add(tf.matMul(h, w), bs[i]);
                if (i < ws.length - 1) h = tf.relu(h);
              });
              return h;
            };
            return tfTrainStep(ctx, [...ws, ...bs], logits, ty, [tx, ty]);
          },
        };
      },
    },
  ];
}
