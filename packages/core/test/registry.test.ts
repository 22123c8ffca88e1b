import { afterEach, describe, expect, it } from 'vitest';
import {
  CONTRACT_VERSION,
  currentBackendName,
  getBackend,
  listBackends,
  ready,
  registerBackend,
  setBackend,
  unregisterBackend,
  type Backend,
} from '../src/index.js';

function fakeBackend(name: string, contractVersion = CONTRACT_VERSION, accelerates: unknown = { unary: [], binary: [] }): Backend {
  return { name, contractVersion, accelerates } as unknown as Backend;
}

afterEach(() => {
  for (const name of listBackends()) unregisterBackend(name);
});

describe('backend registry', () => {
  it('names the package to import for an unknown backend', () => {
    expect(() => getBackend('webgpu')).toThrow(/backend 'webgpu' is not registered .*@tensile\/backend-webgpu/);
  });

  it('says there is no such backend for a name Tensile does not ship', () => {
    expect(() => getBackend('tpu')).toThrow("no backend named 'tpu' (registered: none; Tensile's backends are cpu, wasm, webgpu, cuda)");
  });

  it('rejects a backend written for another contract version, naming both', () => {
    expect(() => registerBackend(fakeBackend('old', CONTRACT_VERSION + 1))).toThrow(
      new RegExp(`version ${CONTRACT_VERSION + 1}.*version ${CONTRACT_VERSION}`),
    );
  });

  it('accepts only composite ops of the op table in accelerates, naming the mistake', () => {
    expect(() => registerBackend(fakeBackend('fast', CONTRACT_VERSION, { unary: ['rsqrt', 'relu'], binary: [] }))).not.toThrow();
    expect(() => registerBackend(fakeBackend('p', CONTRACT_VERSION, { unary: ['exp'], binary: [] }))).toThrow(
      /backend 'p': accelerates.unary lists 'exp', which is a primitive/,
    );
    expect(() => registerBackend(fakeBackend('q', CONTRACT_VERSION, { unary: ['notAnOp'], binary: [] }))).toThrow(
      /accelerates.unary lists 'notAnOp', which is not an op of the op table/,
    );
    expect(() => registerBackend(fakeBackend('r', CONTRACT_VERSION, null))).toThrow(/backend 'r': accelerates.unary must list/);
  });

  it('picks the highest priority ready backend unless one was chosen', async () => {
    registerBackend(fakeBackend('low'), { priority: 0 });
    registerBackend(fakeBackend('high'), { priority: 5 });
    expect(listBackends()).toEqual(['high', 'low']);
    expect(currentBackendName()).toBe('high');
    await setBackend('low');
    expect(currentBackendName()).toBe('low');
  });

  it('initialises factory backends once, and reports their failure', async () => {
    let calls = 0;
    registerBackend({ name: 'lazy', factory: async () => (calls++, fakeBackend('lazy')) });
    expect(() => getBackend('lazy')).toThrow(/not initialised; call await setBackend\('lazy'\)/);
    await Promise.all([ready('lazy'), ready('lazy')]);
    expect(calls).toBe(1);
    expect(getBackend('lazy').name).toBe('lazy');
    registerBackend({ name: 'broken', factory: () => Promise.reject(new Error('no adapter found: install webgpu')) });
    await expect(setBackend('broken')).rejects.toThrow(/no adapter found/);
  });

  it('says how to get a backend when none is ready', () => {
    expect(() => currentBackendName()).toThrow(/no backend is ready/);
  });

  it('lives on a global symbol so duplicate copies of core share it', () => {
    registerBackend(fakeBackend('shared'));
    const state = (globalThis as Record<symbol, { entries: Map<string, unknown> }>)[Symbol.for('tensile.registry')];
    expect(state.entries.has('shared')).toBe(true);
  });
});
