/**
 * What every session is given of the run's options as they were resolved: the entries the option
 * table marks `worker`, under the same name in protocol.ts's SessionSettings. A worker option
 * that SessionSettings lacks, or holds as another type, fails to compile here.
 */
import { OPTION_ENTRIES, type OptionKey, type OptionTable } from './table.js';
import type { ResolvedName, ResolvedOptions } from './types.js';
import type { SessionSettings } from '../protocol.js';

type WorkerKey = { [K in OptionKey]: OptionTable[K] extends { worker: true } ? ResolvedName<K> : never }[OptionKey];

const WORKER_NAMES = OPTION_ENTRIES.filter(([, spec]) => spec.worker === true).map(
  ([key, spec]) => spec.resolved ?? key,
) as WorkerKey[];

/** The run-wide part of every session's settings. */
export function workerOptions(options: ResolvedOptions): Pick<SessionSettings, WorkerKey> {
  const picked = Object.fromEntries(WORKER_NAMES.map((name) => [name, options[name]])) as Pick<
    ResolvedOptions,
    WorkerKey
  >;
  return picked;
}
