// One suite of checks against PyTorch, run by each backend's test file: outputs (at the
// exported sizes and at other batch/sequence sizes), gradients of the loss with respect to
// every parameter, and a 20-step SGD loss curve. Tolerance: |a - b| <= 1e-4 + 1e-4 |b|.
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { parseSafetensors } from '@tensile/nn';
import { SGD } from '@tensile/optim';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/index.js';
import { expected, fixturePath, fixturesMissing } from './fixtures.js';

const TOL = 1e-4;

export const ALL_MODELS = [
  'mlp', 'cnn', 'recurrent', 'control_flow', 'detector', 'gpt', 'bert', 'squeezenet1_1', 'mobilenet_v3_small', 'mobilenet_v2', 'resnet18', 'shufflenet_v2_x0_5', 'swin_tiny', 'vit_tiny',
];

/** Models whose integer inputs bound control flow; see `inputs` in modelSuite. */
const HOST_INPUTS = new Set(['control_flow']);

/** The worst violation of the tolerance between `actual` and `reference`, as a message, or null. */
export async function mismatch(what: string, actual: Tensor, reference: Tensor): Promise<string | null> {
  if (actual.shape.join() !== reference.shape.join()) return `${what}: shape [${actual.shape}] != [${reference.shape}]`;
  const a = (await actual.data()) as Float32Array;
  const b = (await reference.data()) as Float32Array;
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < a.length; i++) {
    const over = Math.abs(a[i]! - b[i]!) - (TOL + TOL * Math.abs(b[i]!));
    if (!(over <= excess)) {
      excess = Number.isNaN(over) ? Infinity : over;
      worst = i;
    }
  }
  return worst < 0 ? null : `${what}: element ${worst} is ${a[worst]}, PyTorch ${b[worst]}`;
}

function lossOf(out: Tensor | Tensor[]): Tensor {
  const outs = Array.isArray(out) ? out : [out];
  return outs.map((o) => o.square().mean()).reduce((s, l) => s.add(l));
}

export function modelSuite(device: string, unavailable: string | null, models: string[] = ALL_MODELS): void {
  const skip = unavailable ?? fixturesMissing();
  if (skip) {
    it.skip(`${device}: ${skip}`, () => {});
    return;
  }
  for (const name of models) {
    describe(`${name} on ${device}`, () => {
      const e = expected(name);
      const ref = (on = device) => parseSafetensors(readFileSync(fixturePath(name, 'reference.safetensors')), { device: on }).tensors;
      const load = () => loadOnnx(fixturePath(name, 'model.onnx'), { device });
      // Integer inputs that drive control flow (EmbeddingBag's offsets bound a Loop's slices) are
      // given on the cpu backend to a GPU model, so the graph reads them on the host.
      const onHost = HOST_INPUTS.has(name) && device !== 'cpu' && device !== 'wasm';
      const inputs = (r: Record<string, Tensor>, prefix: string) => {
        const cpu = onHost ? ref('cpu') : r;
        return Array.from({ length: e.inputs }, (_, i) => {
          const key = `${prefix}.${i}`;
          return cpu[key]!.dtype === 'int32' ? cpu[key]! : r[key]!;
        });
      };

      it('names parameters as the initializers, and their set is PyTorch parameters', async () => {
        const model = await load();
        expect(model.namedParameters().map(([n]) => n).sort()).toEqual([...e.parameters].sort());
        expect(Object.keys(model.stateDict())).toEqual(expect.arrayContaining(e.parameters));
      });

      it('outputs match PyTorch at the exported sizes and at other batch/sequence sizes', async () => {
        const model = await load();
        const r = ref();
        for (const prefix of ['input', 'input2']) {
          const xs = inputs(r, prefix);
          const out = tl.noGrad(() => model.forward(...xs));
          const outs = Array.isArray(out) ? out : [out];
          expect(outs.length).toBe(e.outputs);
          const problems = await Promise.all(outs.map((o, i) => mismatch(`${prefix} output ${i}`, o, r[`${prefix === 'input' ? 'output' : 'output2'}.${i}`]!)));
          expect(problems.filter(Boolean)).toEqual([]);
          // Again without tidy (the first forward may keep the model's constants on the device):
          // only the outputs stay alive, so an inference loop stays flat.
          const before = tl.memory().numTensors;
          const again = tl.noGrad(() => model.forward(...xs));
          const agains = Array.isArray(again) ? again : [again];
          expect(tl.memory().numTensors - before, 'tensors a forward left alive beyond its outputs').toBe(agains.length);
          agains.forEach((t) => t.dispose());
        }
      });

      it('gradients of the loss match PyTorch for every parameter', async () => {
        const model = await load();
        const r = ref();
        const loss = lossOf(model.forward(...inputs(r, 'input')));
        expect(await mismatch('loss', loss, tl.tensor(e.loss))).toBeNull();
        loss.backward();
        const params = new Map(model.namedParameters());
        const problems: string[] = [];
        for (const p of e.parameters) {
          const g = params.get(p)?.grad;
          // No gradient here stands for zeros (what PyTorch's None is, written as zeros).
          const m = await mismatch(`grad ${p}`, g ?? tl.zerosLike(r[`grad.${p}`]!), r[`grad.${p}`]!);
          if (m) problems.push(m);
        }
        expect(problems).toEqual([]);
      });

      it('20 SGD steps follow the PyTorch loss curve', async () => {
        const model = await load();
        const r = ref();
        const x = inputs(r, 'input');
        const optimizer = new SGD(model.parameters(), { lr: e.lr });
        const curve: number[] = [];
        for (let step = 0; step < e.curve.length; step++) {
          optimizer.zeroGrad();
          const loss = lossOf(model.forward(...x));
          loss.backward();
          optimizer.step();
          curve.push(await loss.item());
          loss.dispose();
        }
        const bad = curve.map((l, i) => [i, l, e.curve[i]!] as const).filter(([, l, t]) => !(Math.abs(l - t) <= TOL + TOL * Math.abs(t)));
        expect(bad).toEqual([]);
      });
    });
  }
}
