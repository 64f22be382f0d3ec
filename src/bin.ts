#!/usr/bin/env node
/**
 * The `mqtt-fleet` executable. argv may hold a password (--password, or credentials in a broker
 * URL): the process title replaces it in `ps` and /proc/PID/cmdline before the CLI's modules
 * (yargs, pino, MQTT.js: half a second on a busy machine) are even read.
 */
import './process-title.js';

await import('./cli.js');
