/**
 * The options layer's face: what the rest of mqtt-fleet (and the tests) import. The option table
 * is src/options/table.ts; resolution, src/options/resolve.ts.
 */
export { resolveOptions } from './resolve.js';
export { DEFAULTS, OPTIONS, flagOf, labelOf } from './table.js';
export { kebab } from './spec.js';
export type { ParsedOptions, ResolvedOptions, RunOptions } from './types.js';
export { newRunId, parseCount, parseDuration, parseSize } from './parse.js';
