/**
 * One SGD training step, shared by the MLP and CNN workloads: forward, cross-entropy,
 * backward, parameter update; the step's loss (computed before the update) is read back.
 */
import type * as TL from '@tensile/core';
import type * as TF from '@tensorflow/tfjs-core';
import type { Runner } from '../harness.js';
import type { PeerContext, Tl } from './types.js';

export const LEARNING_RATE = 0.01;

/**
 * Tensile: `loss = -mean(logSoftmax(logits).gather(1, labels))`, `loss.backward()`, then
 * `p.assign(p - lr * p.grad)` under `noGrad` and drop the gradients.
 */
export function tlTrainStep(
  tl: Tl,
  params: TL.Tensor[],
  logitsOf: () => TL.Tensor,
  labels: TL.Tensor /* int32 [B, 1] */,
  owned: TL.Tensor[],
): Runner {
  return {
    async run() {
      const loss = tl.tidy(() => {
        const l = logitsOf().logSoftmax(1).gather(1, labels).mean().neg();
        l.backward();
        tl.noGrad(() => {
          for (const p of params) {
            p.assign(p.sub(p.grad!, LEARNING_RATE));
            p.grad = null;
          }
        });
        return l;
      });
      const values = await loss.data();
      loss.dispose();
      return values;
    },
    dispose() {
      for (const t of [...params, ...owned]) t.dispose();
    },
  };
}

/** tfjs: the same loss with a one-hot mask, `tf.train.sgd(lr).minimize(loss, true, vars)`. */
export function tfTrainStep(
  ctx: PeerContext,
  vars: TF.Variable[],
  logitsOf: () => TF.Tensor,
  oneHot: TF.Tensor /* float32 [B, classes] */,
  owned: TF.Tensor[],
): Runner {
  const { tf } = ctx;
  const optimizer = tf.train.sgd(LEARNING_RATE);
  const lossFn = (): TF.Scalar => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logitsOf(), 1), oneHot), 1))) as TF.Scalar;
  return {
    async run() {
      const cost = optimizer.minimize(lossFn, true, vars)!;
      const values = ctx.syncRead ? cost.dataSync() : await cost.data();
      cost.dispose();
      return values as ArrayLike<number>;
    },
    dispose() {
      optimizer.dispose();
      for (const t of [...vars, ...owned]) t.dispose();
    },
  };
}
