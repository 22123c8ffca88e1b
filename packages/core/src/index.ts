export * from './backend/contract.js';
export * from './backend/registry.js';
export * from './dtype.js';
export * from './shape.js';
export * from './random.js';
