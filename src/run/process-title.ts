/**
 * Imported first by the CLI, before yargs, pino and MQTT.js load: argv may hold a password
 * (--password, or credentials in a broker URL), and `ps` and /proc/PID/cmdline show the title
 * instead from here on, a few milliseconds after start rather than after every module has loaded.
 */
const COMMANDS = new Set(['run', 'compare', 'merge', 'report', 'broker']);
const command = process.argv[2];
// Only a known command name: anything else in argv (a mistyped secret too) stays out of the title.
process.title = COMMANDS.has(command ?? '') ? `mqtt-fleet ${command}` : 'mqtt-fleet';
