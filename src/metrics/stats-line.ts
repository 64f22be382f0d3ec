/**
 * The `stats` line a run prints every interval, made by the fleet's aggregate (aggregate.ts);
 * report/events.ts lists it with the other lines a run prints.
 */
import type { Step } from './steps.js';

export interface StatsLine {
  type: 'stats';
  t: number;
  /** Clients online now. */
  connected: number;
  /** With --client-stages: how many clients the plans have connected now (groups without a plan: all, once publishing started). */
  plannedClients?: number;
  /**
   * Request/response (absent when no lane has reported any): round trips of the requests answered
   * during the interval (null when none were), and requests sent and timed out so far.
   */
  requests?: {
    sent: number;
    answered: number;
    timedOut: number;
    roundTripMs: { p50: number; p99: number; max: number } | null;
  };
  /** Clients between attempts or attempting to get back online. */
  reconnecting: number;
  gaveUp: number;
  failed: number;
  /**
   * Messages the plan has had due so far, all this process's publishers together: what a run on
   * plan would have published. From the plan alone (--rate or --stages), not from what was sent;
   * null when a publisher is unpaced (--rate 0), which no plan rates.
   */
  offered: number | null;
  published: number;
  received: number;
  /** Rates over the interval since the previous stats line; offeredPerSec from the plan, as `offered`. */
  offeredPerSec: number | null;
  publishedPerSec: number;
  receivedPerSec: number;
  /** Successful connects (first ones and reconnects) per second over the interval. */
  connectsPerSec: number;
  /**
   * Connection attempts allowed in flight now, the whole process's (--connect-concurrency): the
   * adaptive window as it grows and backs off, or the fixed one.
   */
  connectWindow: number | null;
  /** Latency of the messages received during the interval; null when none were. */
  latencyMs: { p50: number; p99: number; max: number } | null;
  /** Each step of the clients' lives that happened during the interval (as the summary's `steps`); null for a step that did not. */
  stepsMs: Record<`${Step}Ms`, { p50: number; p99: number; max: number } | null>;
  /** Receive minus scheduled send time of the paced messages received during the interval; null when none were. */
  scheduledLatencyMs: { p50: number; p99: number; max: number } | null;
  /** Actual minus scheduled send time of the paced messages published during the interval; null when none were. */
  sendLagMs: { p50: number; p99: number; max: number } | null;
  /** Paced messages sent more than one period late, so far. */
  lateSends: number;
  /** Event-loop delay during the interval, worst thread; null before publishing or when no thread reported. */
  loopDelayMs: { p99: number; max: number } | null;
  /** This process's resident memory now. */
  rssMb: number;
}
