/**
 * Every file of test/unit/ in one process: they need no broker, socket, thread or child process,
 * so nothing one does can reach another, and a process of their own each cost the suite about
 * 0.3 CPU-s apiece (Node starting, the runner, the library loading) for tests that take
 * milliseconds. A failure is still reported with its file and line. One of them alone:
 * `node --test dist/test/unit/<name>.test.js`.
 */
import { readdirSync } from 'node:fs';

const unit = new URL('./unit/', import.meta.url);
for (const name of readdirSync(unit)
  .filter((f) => f.endsWith('.test.js'))
  .sort())
  await import(new URL(name, unit).href);
