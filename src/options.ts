/**
 * The options layer's face: what the rest of mqtt-fleet (and the tests) import. The option table
 * is src/option-table.ts; resolution, src/resolve-options.ts.
 */
export { resolveOptions } from './resolve-options.js';
export { DEFAULTS, OPTIONS, flagOf, labelOf } from './option-table.js';
export { kebab } from './option-spec.js';
export type { ParsedOptions, ResolvedOptions, RunOptions, ThreadMode } from './option-types.js';
export { newRunId, parseCount, parseDuration, parseSize } from './parse.js';
