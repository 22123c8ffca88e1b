/**
 * The random family (kernels/random.cu): Philox4x32-10 draws, element i of `out` (row-major)
 * from counter `key.offset + i`, as core's generator, so one seed gives one stream everywhere.
 */
import { planElementwise, type RandomDistribution, type RandomKey, type TensorView } from '@tensile/core';
import { pointerOf } from '../buffer.js';
import { BLOCK, checkRank, gridFor, type Launcher } from './launch.js';

export function random(launcher: Launcher, distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
  const plan = planElementwise(out.shape, [out]);
  if (plan.size === 0) return;
  checkRank(plan.shape.length, `random '${distribution}'`);
  const p = launcher.args('RandomParams')
    .set('n', plan.size).set('rank', plan.shape.length).setAll('shape', plan.shape).setAll('strides', plan.strides[0])
    .set('offset', out.offset).set('out', pointerOf(out)).set('seed', key.seed >>> 0).set('counterOffset', key.offset);
  launcher.launch({ family: distribution, op: 0, dtype: out.dtype }, [gridFor(plan.size), 1, 1], BLOCK, p);
}
