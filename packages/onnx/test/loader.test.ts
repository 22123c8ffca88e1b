// loadOnnx on models built here: names and kinds of state, shape folding with dynamic dims,
// int64 inputs, external data, and the errors for bad files and unsupported graphs.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadOnnx, supportedOps } from '../src/index.js';
import { buildModel, rawBytes, type ModelSpec } from './build-model.js';

const W = [1, 2, 3, 4, 5, 6];

/** y = x @ W + b, then reshaped to [batch, 3] through a shape subgraph on x's dynamic batch. */
const linear: ModelSpec = {
  inputs: [{ name: 'x', shape: ['batch', 2] }],
  outputs: ['y'],
  initializers: [
    { name: 'fc.weight', dims: [2, 3], values: W },
    { name: 'fc.bias', dims: [3], values: [0.5, -1, 2] },
    { name: 'zero', type: 'int64', dims: [1], values: [0] },
    { name: 'three', type: 'int64', dims: [1], values: [3] },
  ],
  nodes: [
    { op: 'MatMul', inputs: ['x', 'fc.weight'], outputs: ['m'] },
    { op: 'Add', inputs: ['m', 'fc.bias'], outputs: ['a'] },
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Gather', inputs: ['s', 'zero'], outputs: ['batch'], attrs: { axis: 0 } },
    { op: 'Concat', inputs: ['batch', 'three'], outputs: ['target'], attrs: { axis: 0 } },
    { op: 'Reshape', inputs: ['a', 'target'], outputs: ['y'] },
  ],
};

describe('loadOnnx', () => {
  it('makes float initializers parameters named as in the file, integer ones buffers', async () => {
    const model = await loadOnnx(buildModel(linear));
    expect(model.namedParameters().map(([n]) => n)).toEqual(['fc.weight', 'fc.bias']);
    expect(model.namedBuffers().map(([n]) => n)).toEqual(['zero', 'three']);
    expect(Object.keys(model.stateDict())).toEqual(['fc.weight', 'fc.bias', 'zero', 'three']);
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    const frozen = await loadOnnx(buildModel(linear), { trainable: false });
    expect(frozen.parameters().some((p) => p.requiresGrad)).toBe(false);
  });

  it('runs the graph for any batch size, folding the shape subgraph, with gradients', async () => {
    const model = await loadOnnx(buildModel(linear));
    for (const batch of [1, 4]) {
      const x = tl.arange(0, 2 * batch, 1, { dtype: 'float32' }).reshape([batch, 2]);
      const y = model.forward(x);
      expect(y.shape).toEqual([batch, 3]);
      const expected = tl.matmul(x, tl.tensor(W).reshape([2, 3])).add(tl.tensor([0.5, -1, 2]));
      expect(y.arraySync()).toEqual(expected.arraySync());
    }
    model.forward(tl.ones([2, 2])).sum().backward();
    expect(model.parameters()[1]!.grad!.arraySync()).toEqual([2, 2, 2]);
    expect(model.parameters()[0]!.grad!.arraySync()).toEqual([[2, 2, 2], [2, 2, 2]]);
  });

  it('loadStateDict round-trips through the initializer names', async () => {
    const model = await loadOnnx(buildModel(linear));
    model.loadStateDict({ ...model.stateDict(), 'fc.bias': tl.tensor([0, 0, 0]) });
    expect(model.forward(tl.zeros([1, 2])).arraySync()).toEqual([[0, 0, 0]]);
  });

  it('returns several outputs in graph order, or by name', async () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [2] }], outputs: ['neg', 'abs'],
      nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['neg'] }, { op: 'Abs', inputs: ['x'], outputs: ['abs'] }],
    };
    const x = tl.tensor([-1, 2]);
    const [a, b] = (await loadOnnx(buildModel(spec))).forward(x);
    expect([a.arraySync(), b.arraySync()]).toEqual([[1, -2], [1, 2]]);
    const named = (await loadOnnx(buildModel(spec), { namedOutputs: true })).forward(x);
    expect(Object.keys(named)).toEqual(['neg', 'abs']);
    expect(named.abs.arraySync()).toEqual([1, 2]);
  });

  it('takes int64 inputs as int32 tensors and refuses other dtypes and shapes, naming the input', async () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'ids', type: 'int64', shape: ['batch', 3] }], outputs: ['e'],
      initializers: [{ name: 'emb', dims: [4, 2], values: [0, 1, 2, 3, 4, 5, 6, 7] }],
      nodes: [{ op: 'Gather', inputs: ['emb', 'ids'], outputs: ['e'], attrs: { axis: 0 } }],
    };
    const model = await loadOnnx(buildModel(spec));
    expect(model.forward(tl.tensor([[3, 0, 1]], { dtype: 'int32' })).arraySync()).toEqual([[[6, 7], [0, 1], [2, 3]]]);
    expect(() => model.forward(tl.tensor([[3, 0, 1]]))).toThrow("OnnxModule.forward: input 'ids' must be int32 (for the graph's int64), got float32");
    expect(() => model.forward(tl.tensor([[3, 0]], { dtype: 'int32' }))).toThrow("input 'ids' must have shape [?,3], got [1,2]");
    expect(() => model.forward()).toThrow('the graph takes 1 inputs (ids), got 0');
  });

  it('reads float16, bfloat16, int16, uint8 and int8 initializers, raw and in typed fields, and takes float32 tensors for float16 inputs', async () => {
    const halves = [0.5, -1.25, 3, 1024, -0.0078125];
    const ints = { uint8: [0, 7, 255, 128, 1], int8: [-128, -1, 0, 5, 127], int16: [-32768, -2, 0, 300, 32767] };
    const inits: NonNullable<ModelSpec['initializers']> = [];
    for (const fields of [false, true]) {
      for (const type of ['float16', 'bfloat16'] as const) inits.push({ name: `${type}${fields ? '_fields' : ''}`, type, dims: [5], values: halves, fields });
      for (const [type, values] of Object.entries(ints)) inits.push({ name: `${type}${fields ? '_fields' : ''}`, type: type as 'uint8', dims: [5], values, fields });
    }
    const spec: ModelSpec = {
      inputs: [{ name: 'x', type: 'float16', shape: [2] }], outputs: ['xf', ...inits.map((i) => `${i.name}_out`)], initializers: inits,
      nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['xf'], attrs: { to: 1 } }, ...inits.map((i) => ({ op: 'Cast', inputs: [i.name], outputs: [`${i.name}_out`], attrs: { to: 1 } }))],
    };
    const model = await loadOnnx(buildModel(spec));
    // Float types compute in float32: the half initializers are float parameters.
    expect(model.namedParameters().map(([n]) => n).sort()).toEqual(['bfloat16', 'bfloat16_fields', 'float16', 'float16_fields']);
    const [xf, ...outs] = model.forward(tl.tensor([1.5, -2])) as tl.Tensor[];
    expect(Array.from(xf!.dataSync() as Float32Array)).toEqual([1.5, -2]);
    inits.forEach((init, k) => expect(Array.from(outs[k]!.dataSync() as Float32Array), init.name).toEqual(init.values));
    expect(() => model.forward(tl.tensor([1, 2], { dtype: 'int32' }))).toThrow("OnnxModule.forward: input 'x' must be float32 (for the graph's float16), got int32");
  });

  it('keeps int64 initializers beyond int32 on the host, and range-checks them where a tensor op needs them', async () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [1] }, { name: 'i', type: 'int64', shape: [1] }], outputs: ['y', 'z'],
      initializers: [{ name: 'big', type: 'int64', dims: [1], values: [2 ** 40] }],
      nodes: [
        { op: 'Cast', inputs: ['big'], outputs: ['f'], attrs: { to: 1 } },
        { op: 'Add', inputs: ['x', 'f'], outputs: ['y'] },
        { op: 'Add', inputs: ['i', 'big'], outputs: ['z'], name: 'add_big' },
      ],
    };
    const model = await loadOnnx(buildModel(spec));
    expect(model.namedBuffers()).toEqual([]);
    // The Cast folds on the host, so that use of the large value never needs int32.
    expect(() => model.forward(tl.tensor([1]), tl.tensor([1], { dtype: 'int32' }))).toThrow(
      "Add 'add_big' input 1: int64 value 1099511627776 does not fit in int32, Tensile's integer type",
    );
  });

  it('reads external-data initializers relative to the model file, by path and by file URL', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-onnx-'));
    const blob = new Uint8Array([...new Uint8Array(8), ...rawBytes('float', W), ...rawBytes('float', [0.5, -1, 2])]);
    writeFileSync(path.join(dir, 'weights.bin'), blob);
    const spec: ModelSpec = {
      ...linear,
      initializers: [
        { name: 'fc.weight', dims: [2, 3], values: W, external: { location: 'weights.bin', offset: 8 } },
        { name: 'fc.bias', dims: [3], values: [0.5, -1, 2], external: { location: 'weights.bin', offset: 32 } },
        ...linear.initializers!.slice(2),
      ],
    };
    const file = path.join(dir, 'model.onnx');
    writeFileSync(file, buildModel(spec));
    for (const source of [file, pathToFileURL(file)]) {
      const model = await loadOnnx(source);
      expect(model.forward(tl.tensor([[1, 1]])).arraySync()).toEqual([[5.5, 6, 11]]);
    }
    await expect(loadOnnx(buildModel(spec))).rejects.toThrow("initializer 'fc.weight': stored in the external file 'weights.bin', which needs the model loaded from a path or URL");
    writeFileSync(path.join(dir, 'weights.bin'), blob.subarray(0, 20));
    await expect(loadOnnx(file)).rejects.toThrow("external data 'weights.bin' has 20 bytes, fewer than offset 8 + length 24");
  });

  it('refuses external data outside the model folder', async () => {
    const spec: ModelSpec = { ...linear, initializers: [{ name: 'fc.weight', dims: [2, 3], values: W, external: { location: '../w.bin', offset: 0 } }] };
    const dir = mkdtempSync(path.join(tmpdir(), 'tensile-onnx-'));
    writeFileSync(path.join(dir, 'm.onnx'), buildModel(spec));
    await expect(loadOnnx(path.join(dir, 'm.onnx'))).rejects.toThrow("external data location '../w.bin' must be a relative path inside the model's folder");
  });

  it('lists every unsupported op, attribute, attribute value and output with its node at load time', async () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], outputs: ['y'],
      nodes: [
        { op: 'ImageDecoder', inputs: ['x'], outputs: ['a'], name: 'decode' },
        { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'relu', attrs: { fancy: 1 } },
        { op: 'Pad', inputs: ['b'], outputs: ['c'], name: 'pad', attrs: { mode: 'wrap' } },
        { op: 'Foo', inputs: ['c'], outputs: ['d'], name: 'custom', domain: 'com.example' },
        // Training-mode outputs (the running statistics) that the inference form does not produce.
        { op: 'AveragePool', inputs: ['d'], outputs: ['e', 'f'], name: 'pool', attrs: { kernel_shape: [2, 2] } },
        { op: 'Dropout', inputs: ['e'], outputs: ['y', '', 'g'], name: 'drop' },
      ],
    };
    const error = await loadOnnx(buildModel(spec)).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'loadOnnx: the model cannot be imported (6 problems):\n' +
        "  ImageDecoder 'decode': operator ImageDecoder is not supported\n" +
        "  Relu 'relu': attribute 'fancy' is not supported\n" +
        "  Pad 'pad': attribute mode=\"wrap\" needs opset 19 or later (the model imports opset 17)\n" +
        "  Foo 'custom': operator com.example.Foo is not supported\n" +
        "  AveragePool 'pool': output 1 ('f') is not produced (this implementation produces one output)\n" +
        "  Dropout 'drop': output 2 ('g') is not produced (this implementation produces the first 2 outputs)",
    );
  });

  it('checks the bodies of If, Loop and Scan at load time, naming the node each problem is in', async () => {
    const body = (nodes: ModelSpec['nodes'], outputs: string[]) => ({ graph: { inputs: [{ name: 'i', type: 'int64' as const, shape: [] }, { name: 'c', type: 'bool' as const, shape: [] }], outputs, outputTypes: { c: 'bool' as const }, nodes } });
    const spec: ModelSpec = {
      inputs: [{ name: 'x', shape: [2] }], outputs: ['y'],
      initializers: [{ name: 'n', type: 'int64', dims: [], values: [3] }],
      nodes: [
        {
          op: 'Loop', name: 'outer', inputs: ['n', ''], outputs: ['y', 'w'],
          attrs: { body: body([
            { op: 'Softmax', inputs: ['x'], outputs: ['s'], name: 'ok' },
            { op: 'ImageDecoder', inputs: ['s'], outputs: ['t'], name: 'decode' },
            { op: 'Relu', inputs: ['later'], outputs: ['u'], name: 'early' },
            { op: 'If', inputs: ['c'], outputs: ['v'], name: 'inner', attrs: { then_branch: { graph: { inputs: [], outputs: ['q'], nodes: [{ op: 'Foo', inputs: ['t'], outputs: ['q'], name: 'deep' }] } } } },
          ], ['c', 't', 'missing']) },
        },
        { op: 'Relu', inputs: ['s'], outputs: ['z'], name: 'outside' },
      ],
    };
    const error = await loadOnnx(buildModel(spec)).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      'loadOnnx: the model cannot be imported (6 problems):\n' +
        "  Loop 'outer' body: ImageDecoder 'decode': operator ImageDecoder is not supported\n" +
        "  Loop 'outer' body: Relu 'early': input 'later' is neither a graph input, an initializer nor an earlier node's output\n" +
        "  Loop 'outer' body: If 'inner' then_branch: Foo 'deep': operator Foo is not supported\n" +
        "  Loop 'outer' body: If 'inner': attribute else_branch (a graph) is required\n" +
        "  Loop 'outer' body: output 'missing' is never computed\n" +
        // A body's values are not in scope after its node.
        "  Relu 'outside': input 's' is neither a graph input, an initializer nor an earlier node's output",
    );
    const scan8: ModelSpec = { inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['y'], opset: 8, nodes: [{ op: 'Scan', inputs: ['', 'x'], outputs: ['y'], name: 's', attrs: { num_scan_inputs: 1, body: { graph: { inputs: [{ name: 'r' }], outputs: ['r'], nodes: [] } } } }] };
    await expect(loadOnnx(buildModel(scan8))).rejects.toThrow("Scan 's': Scan of opset 8 (a batch axis and sequence_lens) is not supported; opset 9 and later are");
  });

  it('runs loops with gradients through every iteration, and names what cannot run', async () => {
    // h <- tanh(h @ W) three times, W a parameter of the outer graph.
    const loop = (tripCount: string, cond: string, scan: boolean): ModelSpec => ({
      inputs: [{ name: 'h0', shape: [1, 2] }], outputs: scan ? ['h', 'all'] : ['h'],
      initializers: [{ name: 'W', dims: [2, 2], values: [0.5, -1, 2, 0.25] }, { name: 'n', type: 'int64', dims: [], values: [3] }],
      nodes: [{
        op: 'Loop', name: 'l', inputs: [tripCount, cond, 'h0'], outputs: scan ? ['h', 'all'] : ['h'],
        attrs: { body: { graph: {
          inputs: [{ name: 'i', type: 'int64', shape: [] }, { name: 'c', type: 'bool', shape: [] }, { name: 'x' }], outputs: ['c', 'y', ...(scan ? ['y'] : [])], outputTypes: { c: 'bool' },
          nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'] }, { op: 'Tanh', inputs: ['m'], outputs: ['y'] }],
        } } },
      }],
    });
    const model = await loadOnnx(buildModel(loop('n', '', true)));
    const h0 = tl.tensor([[0.3, -0.7]]);
    const [h, all] = model.forward(h0) as tl.Tensor[];
    expect(all!.shape).toEqual([3, 1, 2]);
    h!.sum().backward();
    const W = tl.tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
    let x = h0;
    for (let i = 0; i < 3; i++) x = x.matmul(W).tanh();
    x.sum().backward();
    expect(Array.from(h!.dataSync() as Float32Array)).toEqual(Array.from(x.dataSync() as Float32Array));
    const grad = model.namedParameters().find(([n]) => n === 'W')![1].grad!;
    expect(Array.from(grad.dataSync() as Float32Array).map((v) => v.toFixed(5))).toEqual(Array.from(W.grad!.dataSync() as Float32Array).map((v) => v.toFixed(5)));

    await expect(loadOnnx(buildModel(loop('', '', false))).then((m) => m.forward(h0))).rejects.toThrow("Loop 'l': neither a trip count M nor a condition is given, so the loop would never end");
    const none = await loadOnnx(buildModel({ ...loop('zero', '', true), initializers: [...loop('', '', true).initializers!, { name: 'zero', type: 'int64', dims: [], values: [0] }] }));
    expect(() => none.forward(h0)).toThrow("Loop 'l': no iteration ran, so scan output 0 has no element shape to stack (an empty scan output is not supported)");
  });

  it('names the node and the input that is missing', async () => {
    const spec: ModelSpec = { ...linear, initializers: linear.initializers!.slice(1) };
    await expect(loadOnnx(buildModel(spec))).rejects.toThrow(
      "MatMul 'matmul_0': input 'fc.weight' is neither a graph input, an initializer nor an earlier node's output",
    );
  });

  it('refuses truncated files, wrong bytes and initializers with too little data', async () => {
    const bytes = buildModel(linear);
    await expect(loadOnnx(bytes.subarray(0, bytes.length - 7))).rejects.toThrow(/^loadOnnx: /);
    await expect(loadOnnx(new TextEncoder().encode('PK\u0003\u0004 this is a zip, not a model'))).rejects.toThrow(/^loadOnnx: not a valid ONNX file/);
    await expect(loadOnnx(new Uint8Array(0))).rejects.toThrow('loadOnnx: not a valid ONNX file (0 bytes decode to a message without a graph)');
    const short = { ...linear, initializers: [{ name: 'fc.weight', dims: [2, 3], values: [1, 2] }, ...linear.initializers!.slice(1)] };
    await expect(loadOnnx(buildModel(short))).rejects.toThrow("initializer 'fc.weight': 8 bytes of data for shape [2,3] of float32 (expected 24); the file is truncated or corrupt");
    await expect(loadOnnx('/nonexistent/model.onnx')).rejects.toThrow("loadOnnx: cannot read '/nonexistent/model.onnx'");
    await expect(loadOnnx(bytes, { train: true } as never)).rejects.toThrow("loadOnnx: unknown option 'train'");
  });

  it('allocates nothing when a load fails', async () => {
    const before = tl.memory().numTensors;
    const spec: ModelSpec = { ...linear, nodes: [...linear.nodes, { op: 'Unknown', inputs: ['y'], outputs: ['z'] }] };
    await expect(loadOnnx(buildModel(spec))).rejects.toThrow('operator Unknown is not supported');
    expect(tl.memory().numTensors).toBe(before);
    // A truncated initializer after a good one: the good one is not left loaded.
    const truncatedLater: ModelSpec = { ...linear, initializers: [linear.initializers![0], { name: 'fc.bias', dims: [3], values: [0.5] }, ...linear.initializers!.slice(2)] };
    await expect(loadOnnx(buildModel(truncatedLater))).rejects.toThrow("initializer 'fc.bias': 4 bytes of data for shape [3] of float32 (expected 12)");
    expect(tl.memory().numTensors).toBe(before);
  });

  it('exports the supported operator list', () => {
    expect(supportedOps).toContain('Conv');
    expect(supportedOps).toContain('LayerNormalization');
    expect([...supportedOps].sort()).toEqual(supportedOps);
  });
});
