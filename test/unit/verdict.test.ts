import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ComparisonRow } from '../../src/report/events.js';
import { verdictOf } from '../../src/report/verdict.js';

const row = (mode: ComparisonRow['mode'], f: Partial<ComparisonRow>): ComparisonRow => ({
  mode,
  threads: mode === 'single-loop' ? 0 : mode === 'pool' ? 2 : 20,
  connectMs: 100,
  publishedPerSec: 1000,
  receivedPerSec: 1000,
  throughputRatio: 1,
  latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 },
  othersMs: null,
  workingMs: null,
  loopDelayP99Ms: null,
  peakRssMb: 100,
  cpuSeconds: 1,
  lost: 0,
  gaveUp: 0,
  exitCode: 0,
  ...f,
});
const ms = (p99: number): ComparisonRow['latencyMs'] => ({ p50: p99 / 3, p90: p99 / 2, p99, p999: p99, max: p99 });

test('calm workload: the same throughput everywhere, one loop the quickest and cheapest, and the verdict says so', () => {
  const v = verdictOf(
    [
      row('single-loop', { latencyMs: ms(2), cpuSeconds: 2.5, peakRssMb: 110 }),
      row('pool', { receivedPerSec: 990, latencyMs: ms(2.4), cpuSeconds: 3.2, peakRssMb: 140 }),
      row('thread-per-client', { receivedPerSec: 1001, latencyMs: ms(8), cpuSeconds: 10, peakRssMb: 360 }),
    ],
    0,
  );
  assert.equal(v.lowestP99, 'single loop');
  assert.equal(v.sameThroughput, true);
  assert.equal(v.leastCpu, 'single loop');
  assert.equal(v.leastMemory, 'single loop');
  assert.equal(v.choice, 'single loop');
  assert.match(
    v.text,
    /For this workload, single loop: the same throughput, the lowest p99, 0\.3× the CPU of thread per client\./,
  );
  assert.match(v.text, /A thread per client pays off only when a client is slow/);
});

test('a slow client: the others p99 decides; a mode that lost messages is never the choice', () => {
  const v = verdictOf(
    [
      row('single-loop', { latencyMs: ms(15), othersMs: { p50: 1, p99: 15, max: 20 }, cpuSeconds: 5 }),
      row('pool', { latencyMs: ms(13), othersMs: { p50: 1, p99: 13, max: 20 }, cpuSeconds: 6, lost: 3 }),
      row('thread-per-client', { latencyMs: ms(10), othersMs: { p50: 2, p99: 10.5, max: 12 }, cpuSeconds: 10 }),
    ],
    10,
  );
  assert.equal(v.lowestP99, 'thread per client');
  assert.equal(v.choice, 'thread per client');
  assert.match(
    v.text,
    /^Lowest p99 of the clients beside the slow ones: thread per client \(10\.5 ms; single loop 15\.0 ms\)\./,
  );
  assert.doesNotMatch(v.text, /pool/, 'the pool lost messages: not weighed');
});

test('throughput decides before latency: a quick mode that did not keep up is not chosen', () => {
  const v = verdictOf(
    [
      row('single-loop', { receivedPerSec: 50_000, latencyMs: ms(3), cpuSeconds: 4 }),
      row('pool', { receivedPerSec: 80_000, latencyMs: ms(5), cpuSeconds: 6 }),
    ],
    0,
  );
  assert.equal(v.sameThroughput, false);
  assert.equal(v.mostThroughput, 'pool');
  assert.equal(v.lowestP99, 'single loop');
  assert.equal(v.choice, 'pool');
  assert.match(
    v.text,
    /Most throughput: pool \(80000 msg\/s\)\..*For this workload, pool: the most throughput, p99 5\.00 ms \(1\.7× the lowest\)/,
  );
});

test('no clean mode: no choice, and the verdict says why', () => {
  const v = verdictOf([row('single-loop', { gaveUp: 1 })], 0);
  assert.equal(v.choice, null);
  assert.match(v.text, /No mode ran cleanly/);
});
