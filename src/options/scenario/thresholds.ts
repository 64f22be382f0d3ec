/** A scenario's `thresholds`: expressions as on the command line, or `{ expr, abortOnFail }`. */
import { UsageError } from '../../errors.js';
import { parseThreshold, type ThresholdSpec } from '../../report/thresholds.js';
import { parseBoolean } from '../parse.js';
import { isPlainObject, pathText, type Scenario } from './load.js';
import { checkKeys } from './checks.js';

const KEYS = new Set(['expr', 'abortOnFail']);

/** Each threshold of the file; `abortOnFail` (--abort-on-fail, or the defaults' `abortOnFail`) applies to all. */
export function scenarioThresholds(scenario: Scenario, abortOnFail: boolean): ThresholdSpec[] {
  return scenario.thresholds.map((item, n) => {
    const path = ['thresholds', n];
    let expr = item;
    let abort = abortOnFail;
    if (isPlainObject(item)) {
      checkKeys(scenario, item, KEYS, path);
      if (item.expr === undefined) scenario.fail(path, "needs expr: { expr: 'lost==0', abortOnFail: true }");
      expr = item.expr;
      if (item.abortOnFail !== undefined) {
        const label = pathText([...path, 'abortOnFail']);
        try {
          abort = parseBoolean(label, item.abortOnFail) || abortOnFail;
        } catch (err) {
          if (err instanceof UsageError) scenario.fail([...path, 'abortOnFail'], 'must be true or false');
          throw err;
        }
      }
    }
    const label = pathText(path);
    try {
      return parseThreshold(label, expr, abort);
    } catch (err) {
      // The file's position, then the message without the label it already names.
      if (err instanceof UsageError) scenario.fail(path, err.message.slice(label.length).trim());
      throw err;
    }
  });
}
