import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { resolveOptions } from '../src/index.js';
import { aedesForTest } from './helpers/aedes.js';
import { spawnCli } from './helpers/cli.js';
import { withTimeout } from './helpers/wait.js';
import { at } from '../src/mqtt/checked.js';

const root = new URL('../../deploy/kubernetes/', import.meta.url);

interface Job {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    template: {
      spec: {
        restartPolicy: string;
        containers: {
          image: string;
          args: string[];
          env: {
            name: string;
            value?: string;
            valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
          }[];
          resources: { requests: { cpu: string; memory: string } };
        }[];
      };
    };
  };
}

test('the Indexed Job manifest has what a sharded run needs, and its arguments are valid mqtt-fleet options', async (t) => {
  const docs = parseAllDocuments(readFileSync(new URL('job.yaml', root), 'utf8')).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors[0]));
    return d.toJS() as Record<string, unknown>;
  });
  const secret = docs.find((d) => d.kind === 'Secret') as {
    metadata: { name: string };
    stringData: Record<string, string>;
  };
  const job = docs.find((d) => d.kind === 'Job') as unknown as Job;
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.spec.completionMode, 'Indexed', 'JOB_COMPLETION_INDEX is set only for Indexed Jobs');
  assert.equal(job.spec.parallelism, job.spec.completions, 'every shard runs at once');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never', 'a restarted shard would run its clients twice');
  const container = at(job.spec.template.spec.containers, 0);
  assert.ok(container.image);
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
  const env = new Map(container.env.map((e) => [e.name, e]));
  const broker = env.get('BROKER_URL')!.valueFrom!.secretKeyRef!;
  assert.equal(broker.name, secret.metadata.name, 'the broker URL comes from the Secret');
  const brokerUrl = secret.stringData[broker.key];
  assert.ok(brokerUrl !== undefined, 'the Secret holds the broker URL');
  assert.equal(
    env.get('RUN_ID')!.valueFrom!.fieldRef!.fieldPath,
    "metadata.labels['job-name']",
    'one run id for all shards',
  );
  const args = container.args;
  assert.equal(args[0], 'run');
  assert.equal(args[args.indexOf('--shards') + 1], String(job.spec.completions), '--shards matches completions');
  for (const flag of ['--run-id', '--start-at', '--json', '--broker'])
    assert.ok(args.includes(flag), `${flag} is passed`);
  // What the container would run, with the variables Kubernetes fills in:
  const filled = args.slice(1).map((a) =>
    a
      .replace('$(RUN_ID)', job.metadata.name)
      .replace('$(BROKER_URL)', brokerUrl)
      .replace('$(START_AT)', new Date(Date.now() + 60_000).toISOString()),
  );
  const options: Record<string, unknown> = {};
  for (let n = 0; n < filled.length; n++) {
    if (!at(filled, n).startsWith('--')) continue;
    const key = at(filled, n)
      .slice(2)
      .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const next = filled[n + 1];
    options[key === 'broker' ? 'brokers' : key] = next === undefined || next.startsWith('--') ? true : next;
    if (next !== undefined && !next.startsWith('--')) n++;
  }
  delete options.json;
  delete options.logLevel;
  for (const index of [0, 4]) {
    const resolved = resolveOptions(options, { JOB_COMPLETION_INDEX: String(index) });
    assert.deepEqual(resolved.shard, { index, count: 5 });
    assert.equal(resolved.runId, 'mqtt-fleet-run1');
  }

  // The same arguments through the real CLI (yargs in strict mode: an unknown or misspelled flag
  // is exit 2), as the pod of shard 0 would run them, scaled down: only the values of the
  // broker, the client count and the duration change, every flag stays as the manifest has it.
  const aedes = await aedesForTest(t);
  const scaled = [...args];
  const setValue = (flag: string, value: string): void => {
    const at = scaled.indexOf(flag);
    assert.ok(at > 0 && at + 1 < scaled.length, `${flag} is in the manifest with a value`);
    scaled[at + 1] = value;
  };
  setValue('--clients', '5');
  setValue('--duration', '1s');
  const podArgs = scaled.map((a) =>
    a
      .replace('$(RUN_ID)', job.metadata.name)
      .replace('$(BROKER_URL)', aedes.url)
      .replace('$(START_AT)', new Date().toISOString()),
  );
  const pod = spawnCli(t, podArgs, { json: true, env: { JOB_COMPLETION_INDEX: '0' } });
  const { code } = await withTimeout(pod.exit, 60_000, "shard 0 of the job's run");
  assert.doesNotMatch(
    pod.stderr(),
    /Unknown argument|see mqtt-fleet --help/,
    `the CLI accepts every argument: ${pod.stderr()}`,
  );
  assert.equal(code, 0, pod.stderr());
  const summary = pod.lines.at(-1)!;
  assert.equal(summary.type, 'summary');
  assert.deepEqual(summary.shard, { index: 0, count: 5 }, '--shards with JOB_COMPLETION_INDEX');
  assert.equal(summary.runId, 'mqtt-fleet-run1');
  assert.equal(summary.clients, 1, 'shard 0 of 5 runs client 0 of 5');
  assert.equal(summary.qos, 1);
  assert.ok(
    pod.lines.some((l) => l.type === 'shard-result'),
    'a shard-result line for merge',
  );
});
