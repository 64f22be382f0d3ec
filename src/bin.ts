#!/usr/bin/env node
/**
 * The `mqtt-fleet` executable, kept to what must happen before the CLI's modules (yargs, pino,
 * MQTT.js: half a second on a busy machine) are even read: argv may hold a password (--password,
 * or credentials in a broker URL), so the process title replaces it in `ps` and
 * /proc/PID/cmdline; and stop signals are handled, so an early Ctrl-C still ends with a summary
 * and exit 130, not a kill.
 */
import './run/process-title.js';
import { installSignals } from './run/signals.js';

installSignals();
await import('./cli.js');
