/**
 * One SGD training step of a small CNN, batch 64 on 1x28x28:
 * conv 1→8 3x3 (valid) + ReLU, maxpool 2, conv 8→16 3x3 + ReLU, maxpool 2, flatten
 * (16·5·5 = 400), linear 400→10; cross-entropy; steps/s. tfjs runs NHWC with the same
 * parameters (filters permuted to HWIO, the linear layer's rows permuted to NHWC flatten
 * order), so the first losses agree.
 */
import { fanInUniform, integers, oneHot, permute, uniform } from '../data.js';
import { tfTrainStep, tlTrainStep } from './train.js';
import { type Case, tfVariable, tlFrom } from './types.js';

const BATCH = 64;

export function cnnCases(): Case[] {
  return [
    {
      id: 'cnn/b64',
      family: 'cnn',
      title: 'CNN b64 step',
      metric: { unit: 'steps/s', perRun: 1 },
      quick: true,
      tolerance: 1e-4,
      init() {
        const x = uniform(BATCH * 28 * 28, 0, 1, 101);
        const labels = integers(BATCH, 10, 102);
        const w1 = fanInUniform(8 * 1 * 9, 9, 111);
        const b1 = fanInUniform(8, 9, 112);
        const w2 = fanInUniform(16 * 8 * 9, 72, 113);
        const b2 = fanInUniform(16, 72, 114);
        const w3 = fanInUniform(400 * 10, 400, 115);
        const b3 = fanInUniform(10, 400, 116);
        return {
          tensile(tl, device) {
            const tx = tlFrom(tl, x, [BATCH, 1, 28, 28], device);
            const ty = tlFrom(tl, labels, [BATCH, 1], device);
            const p = {
              w1: tlFrom(tl, w1, [8, 1, 3, 3], device, true),
              b1: tlFrom(tl, b1, [8], device, true),
              w2: tlFrom(tl, w2, [16, 8, 3, 3], device, true),
              b2: tlFrom(tl, b2, [16], device, true),
              w3: tlFrom(tl, w3, [400, 10], device, true),
              b3: tlFrom(tl, b3, [10], device, true),
            };
            const logits = () => {
              let h = tl.conv2d(tx, p.w1, p.b1).relu();
              h = tl.maxPool2d(h, { kernelSize: 2 });
              h = tl.conv2d(h, p.w2, p.b2).relu();
              h = tl.maxPool2d(h, { kernelSize: 2 });
              return h.flatten(1).matmul(p.w3).add(p.b3);
            };
            return tlTrainStep(tl, Object.values(p), logits, ty, [tx, ty]);
          },
          peer(ctx) {
            const { tf } = ctx;
            const tx = tf.tensor4d(permute(x, [BATCH, 1, 28, 28], [0, 2, 3, 1]), [BATCH, 28, 28, 1]);
            const ty = tf.tensor2d(oneHot(labels, 10), [BATCH, 10]);
            const p = {
              w1: tfVariable(tf, tf.tensor4d(permute(w1, [8, 1, 3, 3], [2, 3, 1, 0]), [3, 3, 1, 8])),
              b1: tfVariable(tf, tf.tensor1d(b1)),
              w2: tfVariable(tf, tf.tensor4d(permute(w2, [16, 8, 3, 3], [2, 3, 1, 0]), [3, 3, 8, 16])),
              b2: tfVariable(tf, tf.tensor1d(b2)),
              // Tensile flattens NCHW (c, h, w); tfjs flattens NHWC (h, w, c).
              w3: tfVariable(tf, tf.tensor2d(permute(w3, [16, 5, 5, 10], [1, 2, 0, 3]), [400, 10])),
              b3: tfVariable(tf, tf.tensor1d(b3)),
            };
            const logits = () => {
              let h: ReturnType<typeof tf.relu> = tf.relu(tf.add(tf.conv2d(tx, p.w1 as typeof tx, 1, 'valid'), p.b1));
              h = tf.maxPool(h as typeof tx, 2, 2, 'valid');
              h = tf.relu(tf.add(tf.conv2d(h as typeof tx, p.w2 as typeof tx, 1, 'valid'), p.b2));
              h = tf.maxPool(h as typeof tx, 2, 2, 'valid');
              return tf.add(tf.matMul(tf.reshape(h, [BATCH, 400]), p.w3), p.b3);
            };
            return tfTrainStep(ctx, Object.values(p), logits, ty, [tx, ty]);
          },
        };
      },
    },
  ];
}
