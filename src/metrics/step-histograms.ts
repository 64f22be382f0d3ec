import { newHistogram, summarizeLatency, type Histogram } from './histogram.js';
import { STEPS, type StepFigures } from './steps.js';

/*
 * The steps' distributions, kept apart from their names (steps.ts), which worker threads import:
 * these need hdr-histogram-js, which only the main thread loads (README, "Lean threads").
 */

/** One HDR histogram per step, in STEPS order. */
export function newStepHistograms(): Histogram[] {
  return STEPS.map(() => newHistogram());
}

export function stepFigures(histograms: readonly Histogram[]): StepFigures {
  return Object.fromEntries(STEPS.map((step, n) => [`${step}Ms`, summarizeLatency(histograms[n]!)])) as StepFigures;
}
