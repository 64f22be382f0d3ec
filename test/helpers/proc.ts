import { readdirSync, readFileSync } from 'node:fs';

/** A process as `ps` shows it: its command line from /proc/PID/cmdline (NULs as spaces). */
export interface ProcessLine {
  pid: number;
  cmdline: string;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // gone meanwhile
  }
}

/** `pid` and every live process below it (children, grandchildren), with their command lines (Linux). */
export function processTree(pid: number): ProcessLine[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat === null) continue;
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after the last `)`.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = parents.get(ppid) ?? [];
    list.push(Number(entry));
    parents.set(ppid, list);
  }
  const out: ProcessLine[] = [];
  const visit = (p: number): void => {
    const cmdline = read(`/proc/${p}/cmdline`);
    if (cmdline !== null) out.push({ pid: p, cmdline: cmdline.replaceAll('\0', ' ').trim() });
    for (const child of parents.get(p) ?? []) visit(child);
  };
  visit(pid);
  return out;
}
