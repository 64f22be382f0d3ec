import { readFileSync } from 'node:fs';

/**
 * The kernel's count of connections a listen backlog turned away (Linux, this network
 * namespace): TcpExt ListenOverflows (the accept queue was full) and ListenDrops (every SYN
 * dropped at a listener, overflows included). Read before and after a measurement: a SYN dropped
 * costs its client a 1 s retransmit. Counts every listener of the namespace, so other programs'
 * connections count too; null where /proc/net/netstat cannot be read.
 */
export function listenDrops(): { overflows: number; drops: number } | null {
  let text: string;
  try {
    text = readFileSync('/proc/net/netstat', 'utf8');
  } catch {
    return null;
  }
  const [names, values] = text.split('\n').filter((line) => line.startsWith('TcpExt:'));
  if (!names || !values) return null;
  const keys = names.split(/\s+/);
  const nums = values.split(/\s+/).map(Number);
  const get = (key: string): number => nums[keys.indexOf(key)] ?? NaN;
  return { overflows: get('ListenOverflows'), drops: get('ListenDrops') };
}
