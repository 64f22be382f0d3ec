import type { RunEvent } from './events.js';
import { colours, fmtInt, fmtMs } from './format.js';

/**
 * One live line on stderr, redrawn in place. Only on a TTY: piped stderr gets logs and the
 * summary, never carriage-return noise. Text written through `writeAbove` (logs) scrolls above it.
 */
export class Progress {
  private line = '';
  private readonly c;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly clients: number,
  ) {
    this.c = colours(stream);
  }

  static enabled(stream: NodeJS.WriteStream): boolean {
    return stream.isTTY === true;
  }

  onEvent(event: RunEvent): void {
    if (event.type !== 'stats') return;
    const c = this.c;
    const latency = event.latencyMs ? ` · p99 ${fmtMs(event.latencyMs.p99)}` : '';
    // What the plan offers beside what went out: a shortfall shows as the two parting.
    const offered = event.offeredPerSec === null ? '' : `offered ${fmtInt(event.offeredPerSec)}/s · `;
    const trouble = [
      event.reconnecting > 0 ? c.yellow(`${fmtInt(event.reconnecting)} reconnecting`) : '',
      event.gaveUp > 0 ? c.red(`${fmtInt(event.gaveUp)} gave up`) : '',
      event.failed > 0 ? c.red(`${fmtInt(event.failed)} failed`) : '',
    ]
      .filter(Boolean)
      .join(' · ');
    this.draw(
      `${fmtMs(event.t)} · ${fmtInt(event.connected)}/${fmtInt(this.clients)} connected${trouble ? ` · ${trouble}` : ''} · ` +
        `${offered}out ${fmtInt(event.publishedPerSec)}/s · in ${fmtInt(event.receivedPerSec)}/s${latency}`,
    );
  }

  writeAbove(text: string): void {
    this.clear();
    this.stream.write(text);
    if (this.line) this.stream.write(this.line);
  }

  done(): void {
    this.clear();
    this.line = '';
  }

  private draw(line: string): void {
    this.line = line.slice(0, Math.max(20, (this.stream.columns ?? 120) - 1));
    this.stream.write(`\r\x1b[K${this.line}`);
  }

  private clear(): void {
    if (this.line) this.stream.write('\r\x1b[K');
  }
}
