import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnCli } from './helpers/cli.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { refused } from './helpers/refused.js';
import { withTimeout } from './helpers/wait.js';

// The largest message a PUBLISH can carry is 256 MiB, through a Mosquitto of about 1.1 GB. Beside
// other files' work it takes longer (6.5-8.3 s in all at a load average of 11 on 2 cores, 5.4 s
// alone): the drain timeout and the wait below leave room for several times that.
test('--size: one byte past what a PUBLISH can carry is refused; the largest that fits goes end to end through Mosquitto', async (t) => {
  // One client and a broker that is not there: should the bound regress, the run gives up at once instead of sending 256 MiB.
  const nowhere = ['-c', '1', '--threads', '0', '-b', 'mqtt://127.0.0.1:1', '--reconnect-delay', '10ms'];
  // The bound that pairs with the message below, refused by the CLI as a user meets it (MQTT's own
  // bound, 256 MiB, is test/unit/input-bounds's). Client 0's topic fleet/0 is 7 bytes; at QoS 1:
  // 268,435,455 - 2 - 7 - 2 (packet id).
  const largest = 268_435_455 - 2 - 7 - 2;
  await refused(
    t,
    ['run', '-q', '1', '-s', String(largest + 1), ...nowhere],
    `--size does not fit in one MQTT packet: at most ${largest} bytes with the topic of client 0 (7 bytes) at QoS 1 (got ${largest + 1})`,
  );
  // 256 MiB is copied a few times over in the client and in Mosquitto (about 0.9 and 1.1 GB of
  // fresh memory): in 4 KiB pages that is half a million page faults, most of the CPU both spend
  // on this VM (10 CPU-s, 4-5 with 2 MiB pages). Their large allocations go in transparent huge
  // pages where the kernel allows them on request (THP "madvise"); nothing else changes.
  const tunables = process.env.GLIBC_TUNABLES;
  process.env.GLIBC_TUNABLES = [tunables, 'glibc.malloc.hugetlb=1'].filter(Boolean).join(':');
  t.after(() => {
    if (tunables === undefined) delete process.env.GLIBC_TUNABLES;
    else process.env.GLIBC_TUNABLES = tunables;
  });
  // Mosquitto with its default limits (max_packet_size and message_size_limit unset): about 1.1 GB of RSS here, a few seconds.
  const mosquitto = await Mosquitto.start('', { verbose: false });
  t.after(() => mosquitto.stop());
  const cli = spawnCli(
    t,
    [
      'run',
      '-b',
      mosquitto.url,
      '-c',
      '1',
      '--threads',
      '0',
      '-q',
      '1',
      '--count',
      '1',
      '-s',
      String(largest),
      // 256 MiB each way through the broker takes seconds, many more on a busy machine: the 5 s
      // default drain would end the run with the message still on its way.
      '--drain-timeout',
      '45s',
      '--json',
    ],
    { json: true },
  );
  const { code } = await withTimeout(cli.exit, 60_000, 'the largest message to go through');
  assert.equal(code, 0, cli.stderr());
  const summary = cli.lines.at(-1)!;
  assert.deepEqual(
    [summary.published, summary.acked, summary.received, summary.lost, summary.reconnects],
    [1, 1, 1, 0, 0],
  );
});
