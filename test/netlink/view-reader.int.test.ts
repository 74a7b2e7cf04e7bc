// The kernel view as the writer reads it (links, their state, their
// addresses), against `ip -j` in the same namespace: a veth up with IPv4 and
// IPv6 addresses, one whose peer is down (no carrier), and a /32 on lo.
// Read by a child process in the namespace: netlink sockets belong to the
// namespace of the process that opens them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { execOk, Topology } from '../../lab/netns.js';

const run = promisify(execFile);
const topology = Topology.create();
afterAll(() => topology.destroy());

const DIST = fileURLToPath(new URL('../../dist/src/netlink/', import.meta.url));
const READER = `
  const { readKernelView } = await import(${JSON.stringify(`${DIST}view-reader.js`)});
  const { KernelView } = await import(${JSON.stringify(`${DIST}kernel-view.js`)});
  const { RouteDumps } = await import(${JSON.stringify(`${DIST}dump.js`)});
  const view = new KernelView();
  await readKernelView(view, new RouteDumps(), 186);
  process.stdout.write(JSON.stringify({
    interfaces: [...view.interfaces.values()],
    subnets: view.subnets.map((s) => ({ ...s, address: [...s.address] })),
  }));
`;

interface IpAddress {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly addr_info: readonly { family: string; local: string; prefixlen: number }[];
}

function octets(address: string): number[] {
  if (!address.includes(':')) return address.split('.').map(Number);
  const [head = '', tail = ''] = address.split('::');
  const words = (text: string) => (text === '' ? [] : text.split(':').map((w) => Number.parseInt(w, 16)));
  const front = words(head);
  const back = words(tail);
  const all = address.includes('::')
    ? [...front, ...Array(8 - front.length - back.length).fill(0), ...back]
    : front;
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

describe('kernel view reader', () => {
  it('reads the links, their carrier and every address as ip shows them', async () => {
    const a = await topology.addNamespace('a');
    const b = await topology.addNamespace('b');
    await topology.addLink({
      a: { ns: a, ifname: 'eth1', ipv4: '10.98.0.1/24', ipv6: 'fd98::1/64' },
      b: { ns: b, ifname: 'eth1', ipv4: '10.98.0.2/24' },
    });
    await topology.addLink({
      a: { ns: a, ifname: 'eth2', ipv4: '10.97.0.1/24' },
      b: { ns: b, ifname: 'eth2' },
    });
    await execOk(b, ['ip', 'link', 'set', 'eth2', 'down']); // eth2 in `a`: up, but no carrier
    await execOk(a, ['ip', 'addr', 'add', '10.255.0.1/32', 'dev', 'lo']);

    const { stdout } = await run('ip', [
      'netns',
      'exec',
      a,
      process.execPath,
      '--input-type=module',
      '-e',
      READER,
    ]);
    const read = JSON.parse(stdout) as {
      interfaces: { index: number; name: string; up: boolean }[];
      subnets: { family: number; ifindex: number; address: number[]; prefixLength: number }[];
    };
    const shown = JSON.parse(await execOk(a, ['ip', '-j', 'addr', 'show'])) as IpAddress[];

    expect(read.interfaces.map((i) => i.name).sort()).toEqual(shown.map((l) => l.ifname).sort());
    for (const link of shown) {
      const up = link.flags.includes('UP') && link.flags.includes('LOWER_UP');
      expect(read.interfaces.find((i) => i.index === link.ifindex)).toEqual({
        index: link.ifindex,
        name: link.ifname,
        up,
      });
    }
    expect(read.interfaces.find((i) => i.name === 'eth1')?.up).toBe(true);
    expect(read.interfaces.find((i) => i.name === 'eth2')?.up).toBe(false);

    const expected = shown.flatMap((link) =>
      link.addr_info.map((info) => ({
        family: info.family === 'inet' ? 2 : 10,
        ifindex: link.ifindex,
        address: octets(info.local),
        prefixLength: info.prefixlen,
      })),
    );
    const key = (s: { ifindex: number; address: number[]; prefixLength: number }) =>
      `${s.ifindex} ${s.address.join('.')}/${s.prefixLength}`;
    expect(read.subnets.map(key).sort()).toEqual(expected.map(key).sort());
    expect(read.subnets.map(key)).toContain(`1 10.255.0.1/32`);
    expect(expected.length).toBeGreaterThanOrEqual(6); // lo v4+v6, eth1 v4+v6+link-local, eth2 v4 (+ link-local)
  });
});
