/**
 * What `npm test` needs besides npm's own packages, provided before the tests run: a Mosquitto
 * to kill and restart, a NATS server with MQTT for the interop table, headless Chromium to render
 * the HTML reports, openssl for the TLS tests' throwaway certificates and iproute2 for the network
 * namespaces of test/netns.test.ts (which also needs root). All are Debian packages, the
 * last two missing from slim images. On a machine where one is missing and we may install (root,
 * apt-get), it is installed now, as CI would; otherwise the line says what to install, and
 * `npm test` stops before running anything rather than failing files late.
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
  {
    pkg: 'mosquitto',
    paths: ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'],
    why: 'a real broker the fault tests kill and restart',
  },
  {
    pkg: 'nats-server',
    paths: ['/usr/sbin/nats-server', '/usr/bin/nats-server'],
    why: 'the interop table (NATS with its MQTT listener)',
  },
  {
    pkg: 'chromium',
    paths: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
    why: 'headless rendering of the HTML reports',
  },
  { pkg: 'openssl', paths: ['/usr/bin/openssl'], why: 'certificates for the TLS tests' },
  { pkg: 'iproute2', paths: ['/usr/sbin/ip'], why: 'network namespaces for the sharded run across hosts' },
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
  process.stderr.write(
    `npm test: installing ${missing.map((m) => m.pkg).join(', ')} from Debian's packages (${list}); once per machine\n`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt-get on the machine holds dpkg's lock for a while: wait for it rather than fail.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  execFileSync('apt-get', [...lock, 'update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const installed = spawnSync(
    'apt-get',
    [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...missing.map((m) => m.pkg)],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    },
  );
  if (installed.status !== 0) {
    process.stderr.write(
      `npm test: apt-get install ${missing.map((m) => m.pkg).join(' ')} failed (exit ${installed.status})\n`,
    );
    process.exit(1);
  }
}
