/**
 * What `npm test` needs besides npm's own packages, provided before the tests run: a Mosquitto
 * to kill and restart, a NATS server with MQTT for the interop table, and headless Chromium to
 * render the HTML reports. All three are Debian packages. On a machine where one is missing and
 * we may install (root, apt-get), it is installed now, as CI would; otherwise the line says what
 * to install, and `npm test` stops before running anything rather than failing three files late.
 * Network namespaces (test/netns.test.ts) also need root and iproute2, which Debian has.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Need {
  /** Debian package. */
  pkg: string;
  /** Where the tests look for it (test/helpers), first match wins. */
  paths: string[];
  why: string;
}

const NEEDS: Need[] = [
  { pkg: 'mosquitto', paths: ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'], why: 'a real broker the fault tests kill and restart' },
  { pkg: 'nats-server', paths: ['/usr/sbin/nats-server', '/usr/bin/nats-server'], why: 'the interop table (NATS with its MQTT listener)' },
  { pkg: 'chromium', paths: ['/usr/bin/chromium', '/usr/bin/chromium-browser'], why: 'headless rendering of the HTML reports' },
];

const missing = NEEDS.filter((need) => !need.paths.some((p) => existsSync(p)));
if (missing.length > 0) {
  const list = missing.map((m) => `${m.pkg} (${m.why})`).join(', ');
  const root = process.getuid?.() === 0;
  const apt = existsSync('/usr/bin/apt-get');
  if (!root || !apt) {
    process.stderr.write(
      `npm test needs ${list}: install ${missing.map((m) => m.pkg).join(' ')} (Debian: sudo apt-get install ${missing.map((m) => m.pkg).join(' ')}), then run npm test again\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`npm test: installing ${missing.map((m) => m.pkg).join(', ')} from Debian's packages (${list}); once per machine\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const installed = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((m) => m.pkg)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  if (installed.status !== 0) {
    process.stderr.write(`npm test: apt-get install ${missing.map((m) => m.pkg).join(' ')} failed (exit ${installed.status})\n`);
    process.exit(1);
  }
}
