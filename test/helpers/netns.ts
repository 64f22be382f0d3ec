import { execFileSync } from 'node:child_process';

const IP = '/usr/sbin/ip';

function ip(...args: string[]): void {
  execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * A network namespace with a veth pair to the root namespace: a separate host, as far as
 * TCP is concerned, with its own address (`hostAddress`), reaching the root namespace at
 * `gateway`. Needs root and iproute2; everything stays on this machine.
 */
export class NetNamespace {
  private constructor(
    readonly name: string,
    readonly gateway: string,
    readonly hostAddress: string,
  ) {}

  static create(n: number): NetNamespace {
    const name = `mqtt-fleet-${process.pid}-${n}`;
    const outside = `mfv${process.pid % 10000}o${n}`;
    const inside = `mfv${process.pid % 10000}i${n}`;
    const net = `10.199.${n}`;
    ip('netns', 'add', name);
    ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    ip('link', 'set', inside, 'netns', name);
    ip('addr', 'add', `${net}.1/24`, 'dev', outside);
    ip('link', 'set', outside, 'up');
    ip('-n', name, 'addr', 'add', `${net}.2/24`, 'dev', inside);
    ip('-n', name, 'link', 'set', inside, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
    return new NetNamespace(name, `${net}.1`, `${net}.2`);
  }

  /** argv that runs `command` inside the namespace. */
  exec(command: string[]): string[] {
    return [IP, 'netns', 'exec', this.name, ...command];
  }

  remove(): void {
    // Deleting the namespace removes its end of the pair, and with it the other end.
    ip('netns', 'del', this.name);
  }
}
