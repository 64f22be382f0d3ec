import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { resolveOptions } from '../src/index.js';

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
          env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } }[];
          resources: { requests: { cpu: string; memory: string } };
        }[];
      };
    };
  };
}

test('the Indexed Job manifest has what a sharded run needs, and its arguments are valid mqtt-fleet options', () => {
  const docs = parseAllDocuments(readFileSync(new URL('job.yaml', root), 'utf8')).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors[0]));
    return d.toJS() as Record<string, unknown>;
  });
  const secret = docs.find((d) => d.kind === 'Secret') as { metadata: { name: string }; stringData: Record<string, string> };
  const job = docs.find((d) => d.kind === 'Job') as unknown as Job;
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.spec.completionMode, 'Indexed', 'JOB_COMPLETION_INDEX is set only for Indexed Jobs');
  assert.equal(job.spec.parallelism, job.spec.completions, 'every shard runs at once');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never', 'a restarted shard would run its clients twice');
  const container = job.spec.template.spec.containers[0]!;
  assert.ok(container.image);
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
  const env = new Map(container.env.map((e) => [e.name, e]));
  const broker = env.get('BROKER_URL')!.valueFrom!.secretKeyRef!;
  assert.equal(broker.name, secret.metadata.name, 'the broker URL comes from the Secret');
  assert.ok(broker.key in secret.stringData);
  assert.equal(env.get('RUN_ID')!.valueFrom!.fieldRef!.fieldPath, "metadata.labels['job-name']", 'one run id for all shards');
  const args = container.args;
  assert.equal(args[0], 'run');
  assert.equal(args[args.indexOf('--shards') + 1], String(job.spec.completions), '--shards matches completions');
  for (const flag of ['--run-id', '--start-at', '--json', '--broker']) assert.ok(args.includes(flag), `${flag} is passed`);
  // What the container would run, with the variables Kubernetes fills in:
  const filled = args.slice(1).map((a) =>
    a.replace('$(RUN_ID)', job.metadata.name).replace('$(BROKER_URL)', secret.stringData[broker.key]!).replace('$(START_AT)', '2026-11-24T12:00:00Z'),
  );
  const options: Record<string, unknown> = {};
  for (let n = 0; n < filled.length; n++) {
    if (!filled[n]!.startsWith('--')) continue;
    const key = filled[n]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
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
});

test('the container build: Node 20 slim, production dependencies only, the CLI as entry point', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  const stages = dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
  assert.deepEqual(stages, ['FROM node:20-slim AS build', 'FROM node:20-slim']);
  assert.match(dockerfile, /RUN npm ci --omit=dev/);
  assert.match(dockerfile, /ENTRYPOINT \["node", "dist\/src\/cli\.js"\]/);
  assert.match(dockerfile, /USER node/);
});
