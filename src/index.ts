export { run, type RunControl } from './run.js';
export { startBroker, type EmbeddedBroker } from './broker/embedded.js';
export { resolveOptions, DEFAULTS, type RunOptions, type ResolvedOptions, type ThreadMode } from './options.js';
export { UsageError } from './errors.js';
export { ExitCode } from './exit-codes.js';
export type { RunEvent, Summary, StatusLine, StatsLine, MessageLine } from './events.js';
export type { ClientState } from './protocol.js';
export type { Workload, WorkloadContext, WorkloadMessage } from './session/workload.js';
export { compare, type Comparison, type ComparisonRow, type CompareOptions, type CompareControl } from './compare.js';
