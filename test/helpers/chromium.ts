import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { at } from '../../src/mqtt/checked.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = process.env.CHROMIUM ?? CANDIDATES.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      "headless Chromium is needed for the report tests: apt-get install chromium (Debian's package; npm test installs it when run as root)",
    );
  return found;
}

/** Open `file` in headless Chromium and return the DOM after its scripts ran. No network, fresh profile. */
export async function renderedDom(file: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'mqtt-fleet-chromium-'));
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile(
        chromiumPath(),
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          `--user-data-dir=${profile}`,
          '--dump-dom',
          pathToFileURL(file).href,
        ],
        { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        // An ExecFileException is an Error; its type (built with Omit<>) hides that from the rule.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The bars of a rendered report: chart, mode, series and value of each. */
export function bars(dom: string): { chart: string; mode: string; threads: number; series: string; value: number }[] {
  const out = [];
  for (const match of dom.matchAll(/<rect [^>]*class="bar"[^>]*>/g)) {
    const attr = (name: string): string => at(new RegExp(`${name}="([^"]*)"`).exec(match[0])!, 1);
    out.push({
      chart: attr('data-chart'),
      mode: attr('data-mode'),
      threads: Number(attr('data-threads')),
      series: attr('data-series'),
      value: Number(attr('data-value')),
    });
  }
  return out;
}
