/**
 * The sort family (kernels/sort.cu): core's planBitonicSort launched as CUDA kernels, the
 * same plan the webgpu backend runs. Pair buffers (keys and positions) come from the
 * backend's allocator and go back to it once the launches are queued (reuse is ordered on
 * the stream); the steps on them are filed under their dtype, int32.
 */
import { planBitonicSort, sizeOf, type TensorView } from '@tensile/core';
import { pointerOf, type CudaBuffer } from '../buffer.js';
import { SORT_BLOCK, SORT_THREADS } from '../params.js';
import { BLOCK, gridFor, type Launcher } from './launch.js';

/** Codes of the segment-sort variants (kernels/sort.cu SortVariant): where it reads and writes. */
const SEGMENT_VARIANT = { 'x:pairs': 0, 'x:out': 1, 'pairs:pairs': 2, 'pairs:out': 3 } as const;

/** Device memory for the pair buffers of one sort. */
export interface Scratch {
  alloc(count: number): CudaBuffer;
  free(buffer: CudaBuffer): void;
}

export function sort(launcher: Launcher, scratch: Scratch, x: TensorView, descending: boolean, values: TensorView, indices: TensorView): void {
  const [rows, n] = x.shape;
  const k = values.shape[1];
  if (sizeOf(values.shape) === 0) return;
  const plan = planBitonicSort(rows, n, k, SORT_BLOCK);
  const buffers = plan.buffers.map((count) => [scratch.alloc(count), scratch.alloc(count)] as const);
  const dtype = x.dtype;
  try {
    for (const launch of plan.launches) {
      const p = launcher.args('SortParams')
        .set('rows', rows).set('xOffset', x.offset).set('xRow', x.strides[0]).set('xStep', x.strides[1]).set('flip', descending ? 0xffffffff : 0)
        .set('x', pointerOf(x)).set('values', pointerOf(values)).set('indices', pointerOf(indices));
      switch (launch.kind) {
        case 'segments': {
          const { from, to } = launch;
          p.set('m', launch.m).set('inRow', launch.inRow).set('span', launch.span).set('segs', launch.segs)
            .set('total', launch.total).set('perGroup', launch.perGroup).set('keep', launch.keep);
          if (from !== 'x') p.set('inKeys', buffers[from][0].pointer).set('inPos', buffers[from][1].pointer);
          if (to !== 'out') p.set('outKeys', buffers[to][0].pointer).set('outPos', buffers[to][1].pointer);
          const op = SEGMENT_VARIANT[`${from === 'x' ? 'x' : 'pairs'}:${to === 'out' ? 'out' : 'pairs'}`];
          launcher.launch({ family: 'sortSegments', op, dtype }, [Math.ceil(launch.total / launch.perGroup), 1, 1], SORT_THREADS, p);
          break;
        }
        case 'step':
          p.set('count', launch.count).set('rowLength', launch.rowLength).set('dist', launch.dist).set('mirror', launch.mirror ? 1 : 0)
            .set('outKeys', buffers[launch.pairs][0].pointer).set('outPos', buffers[launch.pairs][1].pointer);
          launcher.launch({ family: 'sortStep', op: 0, dtype: 'int32' }, [gridFor(launch.count), 1, 1], BLOCK, p);
          break;
        case 'merge':
          p.set('outKeys', buffers[launch.pairs][0].pointer).set('outPos', buffers[launch.pairs][1].pointer);
          launcher.launch({ family: 'sortMerge', op: 0, dtype: 'int32' }, [launch.blocks, 1, 1], SORT_THREADS, p);
          break;
        case 'emit':
          p.set('count', launch.count).set('rowLength', launch.rowLength).set('k', launch.k).set('inPos', buffers[launch.pairs][1].pointer);
          launcher.launch({ family: 'sortEmit', op: 0, dtype }, [gridFor(launch.count), 1, 1], BLOCK, p);
          break;
        default:
          launch satisfies never;
      }
    }
  } finally {
    buffers.flat().forEach((b) => scratch.free(b));
  }
}
