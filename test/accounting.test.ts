import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from '../src/index.js';
import { FaultProxy } from './helpers/fault-proxy.js';
import { Mosquitto } from './helpers/mosquitto.js';

/**
 * Exact accounting, checked against a proxy that drops, duplicates and cuts chosen PUBLISH
 * packets on their way to the clients: the summary must report exactly what the proxy did.
 */
// Each test has its own broker and proxy; the figures are exact, not timed: two at a time.
describe('exact accounting', { concurrency: 2 }, () => {
  for (const qos of [0, 1] as const) {
    for (const threads of ['0', '2', 'per-client']) {
      test(`QoS ${qos}, --threads ${threads}: lost and duplicates equal what the proxy dropped, duplicated and cut`, async (t) => {
        const mosquitto = await Mosquitto.start('', { verbose: false });
        t.after(() => mosquitto.stop());
        const runId = `acct${qos}${threads.replace('-', '')}`;
        const id = (i: number): string => `mqtt-fleet-${runId}-${i}`;
        let cutDone = false;
        const proxy = await new FaultProxy(mosquitto.port, runId, (clientId, d, nth) => {
          if (clientId === id(0) && d.seq % 10 === 3) return 'drop';
          if (clientId === id(1) && d.seq % 25 === 5) return 'duplicate';
          if (clientId === id(2) && nth === 60 && !cutDone) {
            cutDone = true;
            return 'cut';
          }
          return 'forward';
        }).listen();
        t.after(() => proxy.close());
        const summary = await run({
          brokers: [proxy.url],
          clients: 4,
          count: 150,
          rate: 200,
          qos,
          threads,
          runId,
          reconnectDelay: '100ms',
          drainTimeout: '1s',
        });
        assert.equal(proxy.cuts, 1, 'the proxy cut one connection');
        assert.equal(summary.reconnects, 1, 'the cut client came back');
        assert.equal(summary.gaveUp + summary.failed, 0);
        let distinct = 0;
        let deliveries = 0;
        for (let i = 0; i < 4; i++) {
          const c = proxy.counts(id(i));
          distinct += c.distinct;
          deliveries += c.deliveries;
        }
        // What the proxy did and what the run reported, side by side in the test log.
        t.diagnostic(
          `proxy: ${deliveries} deliveries, ${distinct} distinct, ${proxy.dropped.get(id(0))?.length ?? 0} dropped for client 0, ${deliveries - distinct} repeated, ${proxy.cuts} cut; ` +
            `summary: published ${summary.published}, received ${summary.received}, lost ${summary.lost}, inFlight ${summary.inFlight}, unsubscribed ${summary.unsubscribed}, duplicates ${summary.duplicates}, outOfOrder ${summary.outOfOrder}, reconnects ${summary.reconnects}, exit ${summary.exitCode}`,
        );
        assert.equal(proxy.dropped.get(id(0))?.length, 15, 'seq 3, 13, ..., 143 dropped for client 0');
        assert.equal(summary.received, deliveries, 'every delivery the proxy made was counted');
        assert.equal(
          summary.duplicates,
          deliveries - distinct,
          'duplicates: exactly the deliveries the proxy repeated',
        );
        assert.ok(
          summary.duplicates >= 6,
          `client 1's repeats (seq 5, 30, ..., 130) are among them (${summary.duplicates})`,
        );
        assert.equal(
          summary.lost + summary.inFlight + summary.unsubscribed,
          summary.expected - distinct,
          'missing: exactly what the proxy did not let through',
        );
        assert.equal(summary.expected, summary.published, 'each client hears exactly its own topic');
        if (qos === 0) assert.equal(summary.inFlight, 0);
        assert.ok(summary.lost >= 15, `at least client 0's 15 drops are lost (${summary.lost})`);
        assert.equal(summary.exitCode, qos > 0 && summary.lost > 0 ? 1 : 0);
      });
    }
  }

  test('a clean-session subscriber kept offline for a while: what was published meanwhile is not subscribed, not lost (exactly what the proxy did not deliver)', async (t) => {
    const mosquitto = await Mosquitto.start('', { verbose: false });
    t.after(() => mosquitto.stop());
    const runId = 'offline';
    const subscriber = `mqtt-fleet-${runId}-2`;
    let cut = false;
    const proxy = await new FaultProxy(mosquitto.port, runId, (clientId, _d, nth) => {
      if (clientId !== subscriber || cut || nth !== 10) return 'forward';
      cut = true;
      return 'deliver-and-cut';
    }).listen();
    t.after(() => proxy.close());
    // After the cut, turn client 2 away 4 times: with --reconnect-delay 100ms and its back-off it is
    // offline 1.5-2.3 s of the 4 s of publishing (300ms kept it away 13 s, the run waiting on it).
    proxy.admit = (clientId) => clientId !== subscriber || !cut || proxy.refused >= 4;
    const summary = await run({
      brokers: [proxy.url],
      clients: 3,
      count: 80,
      rate: 20,
      qos: 1,
      subTopic: 'fleet/+',
      runId,
      threads: 0,
      reconnectAttempts: 10,
      reconnectDelay: '100ms',
      // What client 2 was not sent never comes: the drain need not wait 5 s for it.
      drainTimeout: '2s',
    });
    let distinct = 0;
    for (let i = 0; i < 3; i++) distinct += proxy.counts(`mqtt-fleet-${runId}-${i}`).distinct;
    t.diagnostic(
      `proxy: ${distinct} distinct deliveries, ${proxy.cuts} cut, ${proxy.refused} refused; summary: expected ${summary.expected}, received ${summary.received}, lost ${summary.lost}, inFlight ${summary.inFlight}, unsubscribed ${summary.unsubscribed}, reconnects ${summary.reconnects}, exit ${summary.exitCode}`,
    );
    assert.deepEqual([proxy.cuts, proxy.refused, summary.reconnects], [1, 4, 1]);
    assert.equal(summary.expected, 3 * 3 * 80);
    assert.equal(summary.lost, 0, 'Mosquitto lost nothing');
    assert.equal(summary.inFlight, 0);
    assert.equal(
      summary.unsubscribed,
      summary.expected - distinct,
      'exactly what never reached the client, all of it sent while it was away',
    );
    // Its back-off alone (100 + 200 + 400 + 800 ms, jitter only adds) keeps it away 1.5 s.
    assert.ok(summary.unsubscribed >= 2 * 20, `at least a second of two publishers at 20/s (${summary.unsubscribed})`);
    assert.equal(summary.exitCode, 0);
  });
});
