import { readFileSync } from 'node:fs';
import { at } from '../../src/mqtt/checked.js';

/** CPU time from /proc, the same way for every measured process (Linux). */

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SEC = 100;

/** Fields of /proc/PID/stat from field 3 on (the command name, field 2, may hold spaces). */
function statFields(pid: number | 'self'): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/** CPU time (user + system, fields 14 and 15) a running process has used so far, all its threads. */
export function processCpuMs(pid: number): number {
  const f = statFields(pid);
  return ((at(f, 11) + at(f, 12)) * 1000) / TICKS_PER_SEC;
}

/**
 * CPU time of this process's children that have exited (fields 16 and 17): measured around one
 * child, its whole life, Node's start-up included. A child still running (a broker, an echo
 * server) is not among them.
 */
export function exitedChildrenCpuMs(): number {
  const f = statFields('self');
  return ((at(f, 13) + at(f, 14)) * 1000) / TICKS_PER_SEC;
}
