import type { RunEvent } from './events.js';
import { colours, fmtInt, fmtMs } from './format.js';

/**
 * One live line on stderr, redrawn in place. Only on a TTY: piped stderr gets logs and the
 * summary, never carriage-return noise. Text written through `writeAbove` (logs) scrolls above it.
 */
export class Progress {
  private line = '';
  private readonly c;

  /** When publishing began, as the stats lines tell it (ms since the run started). */
  private publishingSince: number | null = null;
  private previousT = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly clients: number,
    /** How long publishing lasts by the plan (metrics/planned.ts), null when unknown: the ETA's base. */
    private readonly windowMs: number | null = null,
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
        `${offered}out ${fmtInt(event.publishedPerSec)}/s · in ${fmtInt(event.receivedPerSec)}/s${latency}${this.eta(event.t, event.published)}`,
    );
    this.previousT = event.t;
  }

  /** ` · ~6 s left` while publishing to a timed plan; ` · draining` after it. */
  private eta(t: number, published: number): string {
    if (this.windowMs === null) return '';
    // The first message went out within the last interval: count from its middle.
    if (this.publishingSince === null && published > 0) this.publishingSince = (this.previousT + t) / 2;
    if (this.publishingSince === null) return '';
    const left = this.publishingSince + this.windowMs - t;
    return left > 0 ? ` · ~${fmtInt(Math.ceil(left / 1000))} s left` : ' · draining';
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
