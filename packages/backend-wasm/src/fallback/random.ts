/** Counter-based random fills through core's Philox (used only when a view has more than 8 dims after simplification). */
import { randomElement, type RandomDistribution, type RandomKey, type TensorView } from '@tensile/core';
import { float32Of } from './buffer.js';
import { RowIterator } from './strided.js';

export function random(distribution: RandomDistribution, key: RandomKey, out: TensorView): void {
  const od = float32Of(out, 'random');
  const it = new RowIterator(out.shape, [out.strides], [out.offset]);
  const so = it.innerStrides[0];
  let counter = key.offset;
  for (let r = 0; r < it.rows; r++, it.next()) {
    for (let k = 0, io = it.offsets[0]; k < it.rowLength; k++, io += so) {
      od[io] = randomElement(distribution, key.seed, counter++);
    }
  }
}
