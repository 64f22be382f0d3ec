#!/usr/bin/env node
/**
 * The `mqtt-fleet` executable. Stop signals are handled before the CLI and its dependencies load
 * (a few hundred ms): a Ctrl-C that early still ends with a summary and exit 130, not a kill.
 */
import { installSignals } from './signals.js';

installSignals();
await import('./cli.js');
