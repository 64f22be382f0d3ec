import assert from 'node:assert/strict';
import { at } from '../../src/mqtt/checked.js';
import { infoLogger } from './logger.js';

/** One sample's value from a Prometheus text page: the first line of `name{...}` holding `labels`. */
export function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  assert.ok(line, `${name}{${labels}} in\n${text.slice(0, 2000)}`);
  return Number(line.split(' ').at(-1));
}

/** A run's logger that keeps the address its --metrics-port server logs. */
export function metricsUrl(): { logger: ReturnType<typeof infoLogger>; url: () => string } {
  let url = '';
  const logger = infoLogger((line) => {
    const m = /Prometheus metrics on (http:\/\/\S+)/.exec(line);
    if (m) url = at(m, 1);
  });
  return { logger, url: () => url };
}
