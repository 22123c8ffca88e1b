// Generation options with the hub's semantics: the logits processors against the hub's
// processors written in PyTorch (tools/logits_processors.py), sampling limits that reduce to
// greedy, unsupported options named, and memory flat over a 1000-token generation loop.
import * as tl from '@tensile/core';
import '@tensile/backend-cpu';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT2LMHeadModel, LlamaForCausalLM, processRow } from '../src/index.js';
import { PYTHON, expected, fixture, haveFixtures, record, toolsDir } from './fixtures.js';

const run = haveFixtures ? describe : describe.skip;
const scratch = mkdtempSync(path.join(tmpdir(), 'tensile-gen-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Case {
  settings: { doSample: boolean; repetitionPenalty: number; temperature: number; topK: number; topP: number };
  processed: (number | null)[][];
}

run('logits processors as the hub applies them', () => {
  it('repetition penalty, temperature, top-k and top-p give the PyTorch processors\' scores', () => {
    const out = path.join(scratch, 'processors.json');
    const py = spawnSync(PYTHON, [path.join(toolsDir, 'logits_processors.py'), out], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`logits_processors.py failed:\n${py.stderr}`);
    const ref = JSON.parse(readFileSync(out, 'utf8')) as { scores: number[][]; seen: number[][]; cases: Case[] };
    let worst = 0;
    for (const { settings, processed } of ref.cases) {
      ref.scores.forEach((scores, b) => {
        const row = Float32Array.from(scores);
        processRow(row, ref.seen[b], settings);
        const kept = Array.from(row, (v) => v !== -Infinity);
        expect(kept, JSON.stringify(settings)).toEqual(processed[b].map((v) => v !== null));
        processed[b].forEach((v, i) => {
          if (v !== null) worst = Math.max(worst, Math.abs(row[i] - v));
        });
      });
    }
    record({ check: 'logits-processors', cases: ref.cases.length, maxAbsDiff: worst });
    expect(worst).toBeLessThan(1e-5);
  });

  it('sampling with topK 1, or a tiny topP, is greedy; the seed decides the draws', async () => {
    const e = expected('llama');
    const model = await LlamaForCausalLM.fromPretrained(fixture('llama'), { dtype: 'float32', logger: null });
    const greedy = await (await model.generate(e.input_ids, { maxNewTokens: 20, eosTokenId: null })).array();
    expect(greedy).toEqual(e.greedy);
    for (const opts of [{ topK: 1 }, { topK: 0, topP: 1e-6 }, { topK: 0, temperature: 1e-4 }]) {
      const sampled = await (await model.generate(e.input_ids, { maxNewTokens: 20, eosTokenId: null, doSample: true, seed: 7, ...opts })).array();
      expect(sampled, JSON.stringify(opts)).toEqual(greedy);
    }
    const a = await (await model.generate(e.input_ids, { maxNewTokens: 20, eosTokenId: null, doSample: true, topK: 0, seed: 7 })).array();
    const b = await (await model.generate(e.input_ids, { maxNewTokens: 20, eosTokenId: null, doSample: true, topK: 0, seed: 7 })).array();
    const c = await (await model.generate(e.input_ids, { maxNewTokens: 20, eosTokenId: null, doSample: true, topK: 0, seed: 8 })).array();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    model.dispose();
  });

  it('stops a row after the eos token it emitted and pads the finished rows', async () => {
    const e = expected('llama');
    const model = await LlamaForCausalLM.fromPretrained(fixture('llama'), { dtype: 'float32', logger: null });
    const greedy = e.greedy as number[][];
    const prompt = e.input_ids[0].length;
    // Declare the token row 0 emits third an eos token: row 0 stops there, the call goes on for the others.
    const eos = greedy[0][prompt + 2];
    const steps: number[][] = [];
    const out = (await (await model.generate(e.input_ids, { maxNewTokens: 20, eosTokenId: eos, padTokenId: 0, onToken: (t) => void steps.push(t) })).array()) as number[][];
    const firstEos = (r: number[]) => r.slice(prompt).indexOf(eos);
    out.forEach((row, b) => {
      const at = firstEos(greedy[b]);
      if (at < 0) return;
      expect(row.slice(0, prompt + at + 1)).toEqual(greedy[b].slice(0, prompt + at + 1));
      expect(row.slice(prompt + at + 1).every((t) => t === 0)).toBe(true);
    });
    expect(steps.length).toBe(out[0].length - prompt);
    model.dispose();
  });
});

run('options that are not there', () => {
  it('generate and fromPretrained name an unsupported option', async () => {
    const model = await GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { dtype: 'float32', logger: null });
    await expect(model.generate([[1, 2, 3]], { numBeams: 4 } as never)).rejects.toThrow(/GPT2LMHeadModel\.generate: unsupported option 'numBeams'/);
    await expect(model.generate([[1, 2, 3]], { max_new_tokens: 4 } as never)).rejects.toThrow(/unsupported option 'max_new_tokens'.*maxNewTokens/);
    await expect(GPT2LMHeadModel.fromPretrained(fixture('gpt2'), { dtpye: 'float32' } as never)).rejects.toThrow(
      /GPT2LMHeadModel\.fromPretrained: unsupported option 'dtpye'/,
    );
    model.dispose();
  });
});

run('memory over a generation loop', () => {
  it('1000 generated tokens keep tl.memory() flat after the cache is allocated', async () => {
    const model = await LlamaForCausalLM.fromPretrained(fixture('llama'), { dtype: 'float32', logger: null, config: { max_position_embeddings: 1024 } });
    const before = tl.memory();
    const seen: { tensors: number; bytes: number }[] = [];
    const start = performance.now();
    const out = await model.generate([[1, 5, 9, 13]], {
      maxNewTokens: 1000, eosTokenId: null, doSample: true, seed: 3,
      onToken: () => {
        const m = tl.memory();
        seen.push({ tensors: m.numTensors, bytes: m.numBytes });
      },
    });
    const seconds = (performance.now() - start) / 1000;
    expect(out.shape).toEqual([1, 1004]);
    expect(seen).toHaveLength(1000);
    // From the first step on (the cache exists), every step sees the same live tensors and bytes.
    expect(new Set(seen.map((s) => `${s.tensors}/${s.bytes}`)).size).toBe(1);
    const cacheBytes = seen[0].bytes - before.numBytes;
    record({ check: 'memory-flat', model: 'llama', device: 'cpu', tokens: 1000, liveTensors: seen[0].tensors, cacheBytes, tokensPerSecond: 1000 / seconds });
    // Afterwards only the output was left beside the weights.
    out.dispose();
    const after = tl.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    model.dispose();
  });
});
