// Browser-safe: schemas and types only.
export * from '../domain/index.js';
export * from '../errors.js';
export * from './bus.js';
export * from './events.js';
export * from './rest.js';
export * from './ws.js';
