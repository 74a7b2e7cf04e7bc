// The kernel writer's route monitor overflowing: another process writes
// 200,000 routes while the agent is stopped (SIGSTOP), so its monitor socket
// cannot keep up. Without NETLINK_NO_ENOBUFS the overflow reaches the netlink
// package as a socket error, which aborts the process; with it the kernel
// drops the notifications, the agent sees the drop count, reconciles, and
// its own routes are untouched. Also: a hand deletion right after our own
// write is still repaired (echoes are filtered in the kernel, not by time).
import { afterAll, describe, expect, it } from 'vitest';
import { LabAgent } from '../../lab/agent.js';
import { execOk, Topology } from '../../lab/netns.js';
import { eventually } from '../interop/helpers.js';

const topology = Topology.create();
let agent: LabAgent | undefined;
let peer: LabAgent | undefined;

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  await peer?.stop().catch(() => undefined);
  await topology.destroy();
});

describe('kernel writer under a notification flood', () => {
  it('survives a monitor overflow, notices the drops, keeps and repairs its routes', async () => {
    const a = await topology.addNamespace('a');
    const b = await topology.addNamespace('b');
    await topology.addLink({
      a: { ns: a, ifname: 'eth1', ipv4: '10.98.0.1/24' },
      b: { ns: b, ifname: 'eth1', ipv4: '10.98.0.2/24' },
    });
    const config = (self: number, other: number, asn: number, otherAsn: number, prefix: string) => ({
      asn,
      routerId: `10.98.0.${self}`,
      neighbors: [
        {
          address: `10.98.0.${other}`,
          asn: otherAsn,
          holdTimeSeconds: 30,
          connectRetrySeconds: 1,
          import: 'accept-all',
          export: 'accept-all',
        },
      ],
      originate: [{ prefix }],
    });
    agent = new LabAgent({
      namespace: a,
      stateDir: topology.stateDir('a'),
      config: config(1, 2, 65001, 65002, '10.233.1.0/24'),
    });
    peer = new LabAgent({
      namespace: b,
      stateDir: topology.stateDir('b'),
      config: config(2, 1, 65002, 65001, '10.233.2.0/24'),
    });
    await agent.start();
    await peer.start();
    await agent.waitNeighbor('10.98.0.2');
    const route = () => execOk(a, ['ip', 'route', 'show', '10.233.2.0/24']).then((out) => out.trim());
    await eventually('the learned route in the kernel', async () =>
      (await route()) !== '' ? true : undefined,
    );

    // 200,000 routes by another hand while the agent cannot read.
    const lines = Array.from(
      { length: 200_000 },
      (_, i) => `route add 20.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}/32 dev eth1 proto static`,
    ).join('\n');
    agent.signal('SIGSTOP');
    try {
      await execOk(a, ['ip', '-batch', '-'], { input: `${lines}\n`, timeoutMs: 120_000 });
    } finally {
      agent.signal('SIGCONT');
    }
    const dropped = await eventually(
      'the agent logs the dropped notifications',
      async () =>
        (await agent?.logEntries())?.find((e) => e.msg === 'kernel: netlink messages dropped, reconciling'),
      15_000,
    );
    expect(Number(dropped.notifications)).toBeGreaterThan(0);
    expect(agent.running()).toBe(true);
    expect(await route()).toContain('proto bgp');
    expect((await agent.ctl(['fib', 'diff'])).stdout.trim()).toBe('in sync');

    // A hand deletion is repaired within a second.
    await execOk(a, ['ip', 'route', 'del', '10.233.2.0/24']);
    const deleted = Date.now();
    await eventually('the route repaired', async () => ((await route()) !== '' ? true : undefined), 1000, 20);
    expect(Date.now() - deleted).toBeLessThan(1000);
  }, 180_000);
});
