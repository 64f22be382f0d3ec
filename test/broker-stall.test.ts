import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { withTimeout } from './helpers/wait.js';

const CLIENTS = 4;
/**
 * Per client: far more than the socket buffers hold (Linux grows a loopback connection's to tens
 * of MB), so the publishers are held back, not done, when the broker stops. 16 KiB messages fill
 * those buffers in a few thousand messages where the default 64 bytes took hundreds of thousands.
 */
const COUNT = 4000;

// Beside other files (it was in test/serial/): it times nothing but its own stats lines. The
// publishers count as stopped once six stats lines in a row agree, however late they come, and
// RSS is the CLI's own; a CLI starved of CPU writes no stats lines either.
test('a stalled broker (SIGSTOP): publishers stop at the in-flight window, memory stays bounded, and the run completes after SIGCONT', async (t) => {
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(async () => {
    await mosquitto.kill('SIGCONT');
    await mosquitto.stop();
  });
  for (const qos of ['0', '1']) {
    const cli = spawnCli(
      t,
      [
        'run',
        '-b',
        mosquitto.url,
        '-c',
        String(CLIENTS),
        '--count',
        String(COUNT),
        '--size',
        '16kib',
        '--rate',
        '0',
        '--qos',
        qos,
        '--threads',
        '0',
        '--json',
        '--stats-interval',
        '200ms',
        '--drain-timeout',
        '30s',
      ],
      { json: true },
    );
    const stats = (): Record<string, number>[] =>
      cli.lines.filter((l) => l.type === 'stats') as Record<string, number>[];
    const published = (): number => stats().at(-1)?.published ?? 0;
    await cli.changed.until(() => published() > 1000, 30_000, 'publishing to be under way');
    await mosquitto.kill('SIGSTOP');
    const rss = (): number =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${cli.child.pid}/status`, 'utf8'))![1]) / 1024;
    // The buffers between the publishers and the stopped broker fill up, then nothing moves for a
    // second (5 stats lines): publishers that did not wait would go on until their plan was done.
    const stoppedAt = stats().length;
    const still = (): boolean => {
      const since = stats().slice(stoppedAt);
      return since.length >= 6 && since.slice(-6).every((s) => s.published === since.at(-1)!.published);
    };
    await cli.changed.until(still, 20_000, 'publishing to stop while the broker is stopped');
    const before = rss();
    const publishedBefore = published();
    assert.ok(
      publishedBefore < CLIENTS * COUNT,
      `QoS ${qos}: publishers held back, not done (${publishedBefore} of ${CLIENTS * COUNT} published)`,
    );
    const stillAt = stats().length;
    await cli.changed.until(() => stats().length >= stillAt + 10, 10_000, 'two more seconds of stats');
    const growth = rss() - before;
    const publishedWhilePaused = published() - publishedBefore;
    t.diagnostic(
      `QoS ${qos}, broker stopped at ${publishedBefore} of ${CLIENTS * COUNT} published: ${publishedWhilePaused} published in the next 2 s, RSS ${before.toFixed(1)} -> ${rss().toFixed(1)} MB`,
    );
    assert.ok(growth < 32, `QoS ${qos}: RSS grew ${growth.toFixed(1)} MB while the broker was stopped`);
    assert.equal(publishedWhilePaused, 0, `QoS ${qos}: publishers wait while nothing drains`);
    await mosquitto.kill('SIGCONT');
    const { code } = await withTimeout(cli.exit, 60_000, 'the run to finish after SIGCONT');
    const summary = cli.lines.at(-1)!;
    assert.equal(summary.published, CLIENTS * COUNT);
    // Completes: every client to the end of its plan, nothing failed. At QoS 0 a broker that
    // cannot write to a subscriber fast enough drops (Mosquitto does), which is not the run's failure.
    assert.deepEqual([code, summary.exitCode, summary.failed, summary.gaveUp], [0, 0, 0, 0], cli.stderr());
    if (qos === '1') assert.equal(summary.lost, 0, 'QoS 1: nothing lost across the stall');
  }
});
